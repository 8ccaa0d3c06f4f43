// Headless Chromium for the report's browser tests: pages opened from file:// exactly as a
// researcher opens them, nothing injected. The report's pages keep their own error log
// (views_script: script errors, resources and images that did not load go into
// <pre id="page-errors">), and a dashboard page says how many charts it drew
// (<body data-charts="N">); the tests read both from the DOM Chromium dumps, and
// Chromium's own console lines from its stderr.
#pragma once
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "hposync/common/subprocess.hpp"
#include "report_fixture.hpp"

namespace hposync::e2e {

// The Chromium binary (Debian package chromium), "" when absent.
inline std::string chromium() {
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
        if (boost::filesystem::exists(p)) return p;
    return "";
}

inline SpawnOptions chromium_options(const std::vector<std::string>& extra, const std::string& url,
                                     const boost::filesystem::path& work) {
    boost::filesystem::create_directories(work);
    SpawnOptions o;
    o.argv = {chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
              "--virtual-time-budget=5000", "--user-data-dir=" + (work / "profile").string()};
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    o.argv.push_back(url);
    o.stdout_path = (work / "chromium.out").string();
    o.stderr_path = (work / "chromium.err").string();
    return o;
}

// Runs headless Chromium on `url` with extra args; returns stdout (the DOM with
// --dump-dom) and puts stderr (console messages, with --enable-logging) into `err`.
inline std::string run_chromium(const std::vector<std::string>& extra, const std::string& url,
                                const boost::filesystem::path& tmp, std::string& err) {
    const SpawnOptions o = chromium_options(extra, url, tmp);
    Subprocess browser(o);
    std::optional<ExitStatus> st = browser.wait_for(120);
    if (!st) st = browser.terminate(5);  // never hangs the suite
    err = slurp(o.stderr_path);
    CHECK_MESSAGE(st->ok(), st->describe() << "\n" << err);
    return slurp(o.stdout_path);
}

// Console problems Chromium reports for the page itself (not its own dbus chatter).
inline std::vector<std::string> page_problems(const std::string& err) {
    std::vector<std::string> out;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
        if (line.find("CONSOLE") != std::string::npos || line.find("Failed to load resource") != std::string::npos ||
            line.find("ERR_FILE_NOT_FOUND") != std::string::npos || line.find("Uncaught") != std::string::npos)
            out.push_back(line);
    return out;
}

// The page's own error log (#page-errors), or nullopt when the page has none.
inline std::optional<std::string> page_error_log(const std::string& dom) {
    std::smatch m;
    if (!std::regex_search(dom, m, std::regex("<pre id=\"page-errors\"[^>]*>([^<]*)</pre>"))) return std::nullopt;
    return m[1].str();
}

struct BrowsedPage {
    std::string file, dom, err;  // file: relative to the report folder
    bool ok = false;             // Chromium exited 0
};

// Opens every page of `report` (file://) in its own headless Chromium, all at once (a
// browser start is seconds of waiting, little CPU), each dumping its DOM and saving a
// screenshot <shots>/<page>.png.
inline std::vector<BrowsedPage> browse_pages(const boost::filesystem::path& report, const std::vector<std::string>& files,
                                             const boost::filesystem::path& shots, const boost::filesystem::path& tmp) {
    std::vector<std::unique_ptr<Subprocess>> browsers;
    std::vector<SpawnOptions> opts;
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string png = (shots / (boost::filesystem::path(files[i]).stem().string() + ".png")).string();
        opts.push_back(chromium_options({"--dump-dom", "--screenshot=" + png, "--window-size=1400,1600"},
                                        "file://" + (report / files[i]).string(), tmp / std::to_string(i)));
        browsers.push_back(std::make_unique<Subprocess>(opts.back()));
    }
    std::vector<BrowsedPage> out;
    for (size_t i = 0; i < files.size(); ++i) {
        std::optional<ExitStatus> st = browsers[i]->wait_for(120);
        if (!st) st = browsers[i]->terminate(5);
        out.push_back({files[i], slurp(opts[i].stdout_path), slurp(opts[i].stderr_path), st->ok()});
    }
    return out;
}

}  // namespace hposync::e2e
