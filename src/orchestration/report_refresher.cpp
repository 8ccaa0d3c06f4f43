#include "report_refresher.hpp"

#include <unistd.h>

#include "hposync/common/error.hpp"

namespace hposync::orchestration {
namespace {

// hpo-report beside this program (both live in build/bin); "" if there is none.
std::string sibling_report_program() {
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return "";
    std::string path(exe, size_t(n));
    path = path.substr(0, path.rfind('/') + 1) + "hpo-report";
    return ::access(path.c_str(), X_OK) == 0 ? path : "";
}

}  // namespace

ReportRefresher::ReportRefresher(std::string dir, double interval_s, Say warn)
    : dir_(std::move(dir)), program_(sibling_report_program()), interval_s_(interval_s), warn_(std::move(warn)) {
    if (program_.empty()) warn_("--report: no hpo-report beside hpo-master; the report is not refreshed");
}

ReportRefresher::~ReportRefresher() {
    // A report killed half-way leaves its temporary folder; give it time to finish.
    if (running_ && !running_->wait_for(30)) running_->terminate(5);
}

void ReportRefresher::start() {
    SpawnOptions o;
    o.argv = {program_, "--dir", dir_};
    o.stdout_path = o.stderr_path = dir_ + "/report.log";
    try {
        running_ = std::make_unique<Subprocess>(o);
    } catch (const Error& e) {
        warn_(std::string("--report: ") + e.what());
        running_.reset();
    }
    last_start_ = std::chrono::steady_clock::now();
    dirty_ = false;
}

bool ReportRefresher::reap(double wait_s) {
    if (!running_) return true;
    const auto st = running_->wait_for(wait_s);
    if (!st) return false;
    if (!st->ok()) warn_("--report: hpo-report " + st->describe() + " (see " + dir_ + "/report.log)");
    running_.reset();
    return true;
}

void ReportRefresher::poll() {
    if (program_.empty() || !reap(0) || !dirty_) return;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - last_start_).count() < interval_s_) return;
    start();
}

void ReportRefresher::finish() {
    if (program_.empty()) return;
    reap(600);
    start();
    reap(600);
}

}  // namespace hposync::orchestration
