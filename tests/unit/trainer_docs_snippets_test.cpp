// The documentation users copy from stays valid: every fenced block in README.md and
// docs/*.md that holds `format = hposync-study 1` or `format = hposync-job 1` is parsed
// with the real readers (a study with search::parse_study, a job with parse_job).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <string>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/search/study.hpp"

using namespace hposync;
namespace fs = boost::filesystem;

namespace {

struct Block {
    std::string where;  // file:line of the opening fence
    std::string text;
};

std::vector<Block> fenced_blocks(const std::string& path) {
    std::vector<Block> out;
    const std::string text = read_file(path);
    size_t pos = 0;
    int line = 1;
    bool inside = false;
    Block cur;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string l = text.substr(pos, end - pos);
        const size_t first = l.find_first_not_of(' ');
        if (first != std::string::npos && l.compare(first, 3, "```") == 0) {
            if (inside) out.push_back(cur);
            inside = !inside;
            cur = {path + ":" + std::to_string(line), ""};
        } else if (inside) {
            cur.text += l + "\n";  // the parser trims; indented blocks (in lists) parse too
        }
        pos = end + 1;
        ++line;
    }
    return out;
}

std::string repo_root() {
    for (const char* c : {"..", ".", "../.."})
        if (fs::exists(std::string(c) + "/README.md") && fs::exists(std::string(c) + "/docs")) return c;
    return "..";
}

}  // namespace

TEST_CASE("docs: every study and job snippet in README.md and docs/ parses") {
    const std::string root = repo_root();
    std::vector<std::string> files = {root + "/README.md"};
    for (auto& e : fs::directory_iterator(root + "/docs"))
        if (e.path().extension() == ".md") files.push_back(e.path().string());
    int studies = 0, jobs = 0;
    for (const auto& file : files)
        for (const auto& b : fenced_blocks(file)) {
            const bool study = b.text.find("format = hposync-study 1") != std::string::npos;
            const bool job = b.text.find("format = hposync-job 1") != std::string::npos;
            if (!study && !job) continue;
            INFO("snippet at " << b.where << ":\n" << b.text);
            try {
                KeyValueFile f = KeyValueFile::parse(b.text, b.where);
                if (study) {
                    search::parse_study(f);
                    ++studies;
                } else {
                    protocol::parse_job(f);
                    ++jobs;
                }
            } catch (const Error& e) {
                FAIL_CHECK(b.where << ": " << e.what());
            }
        }
    MESSAGE("parsed " << studies << " study and " << jobs << " job snippets");
    CHECK(studies >= 3);  // README (2) and PROTOCOL.md section 9, at least
}

TEST_CASE("docs: README's complete trainer is trainers/minimal_trainer.py, byte for byte") {
    // The e2e budget test runs that file under a real worker, so the snippet runs as printed.
    const std::string root = repo_root();
    std::string snippet;
    for (const auto& b : fenced_blocks(root + "/README.md"))
        if (b.text.find("A complete hposync trainer") != std::string::npos) snippet = b.text;
    const std::string shipped = read_file(root + "/trainers/minimal_trainer.py");
    REQUIRE_FALSE(snippet.empty());
    CHECK(snippet == shipped);
}
