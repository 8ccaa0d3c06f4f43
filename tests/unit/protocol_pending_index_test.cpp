// PendingIndex: claims from a cached random sample, still one rename per claim, correct
// when many claimers race (threads in one process stand in for worker processes).
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/pending_index.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync::protocol;
using hposync::protocol::testing::TempDir;

namespace {

std::string job_id(int i) {
    char b[32];
    std::snprintf(b, sizeof b, "r000-c%05d-s0", i);
    return b;
}

// Plain writes: what is tested is the claiming, and thousands of fsyncs would take minutes.
void publish(const Layout& l, int first, int n) {
    for (int i = first; i < first + n; ++i) std::ofstream(l.pending_job(job_id(i))) << "x\n";
}

// What a worker's claim loop does with the index.
std::optional<std::string> claim(PendingIndex& idx, const Layout& l, const std::string& worker) {
    idx.begin_claim();
    while (auto id = idx.next())
        if (rename_if_exists(l.pending_job(*id), l.running_job(*id, worker))) return id;
    return std::nullopt;
}

}  // namespace

TEST_CASE("pending index: every job once, one listing per sample, nothing left means nullopt") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    publish(l, 0, 300);
    hposync::write_file_atomic(l.pending_dir() + "/notes.txt", "not a job\n");
    PendingIndex idx(l.pending_dir(), 1, 64);
    std::set<std::string> got;
    while (auto id = claim(idx, l, "w1")) CHECK(got.insert(*id).second);
    CHECK(got.size() == 300);
    // 300 names in samples of 64: a handful of listings, not one per claim.
    CHECK(idx.listings() >= 5);
    CHECK(idx.listings() <= 8);
    CHECK_FALSE(claim(idx, l, "w1"));  // a fresh listing proves pending/ is empty
}

TEST_CASE("pending index: a stale sample costs failed renames, never a wrong claim or a missed job") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    publish(l, 0, 100);
    PendingIndex idx(l.pending_dir(), 2);
    auto first = claim(idx, l, "w1");  // the sample now holds the other 99 names
    REQUIRE(first);
    // Someone else takes every remaining job, then new ones arrive.
    for (const auto& name : list_dir(l.pending_dir()))
        rename_if_exists(l.pending_dir() + "/" + name, l.done_dir() + "/" + name);
    publish(l, 1000, 3);
    std::set<std::string> got;
    while (auto id = claim(idx, l, "w1")) got.insert(*id);
    CHECK(got == std::set<std::string>{job_id(1000), job_id(1001), job_id(1002)});
}

TEST_CASE("pending index: hints are tried first; a hint already taken is skipped") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    publish(l, 0, 50);
    PendingIndex idx(l.pending_dir(), 3);
    idx.hint(job_id(7));
    idx.hint("r000-c99999-s0");  // not there (taken): the rename fails, the next is tried
    idx.begin_claim();
    CHECK(*idx.next() == "r000-c99999-s0");
    CHECK(*idx.next() == job_id(7));
}

TEST_CASE("pending index: 16 racing claimers, 5,000 jobs: each claimed exactly once, nobody starves") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    const int kJobs = 5000, kClaimers = 16;
    publish(l, 0, kJobs);
    std::vector<std::vector<std::string>> claimed(kClaimers);
    std::vector<int64_t> listings(kClaimers);
    std::vector<std::thread> ts;
    for (int w = 0; w < kClaimers; ++w)
        ts.emplace_back([&, w] {
            PendingIndex idx(l.pending_dir(), 100 + w, 512);
            while (auto id = claim(idx, l, "w" + std::to_string(w))) claimed[w].push_back(*id);
            listings[w] = idx.listings();
        });
    for (auto& th : ts) th.join();
    std::map<std::string, int> count;
    size_t fewest = kJobs;
    for (int w = 0; w < kClaimers; ++w) {
        for (const auto& id : claimed[w]) ++count[id];
        fewest = std::min(fewest, claimed[w].size());
    }
    CHECK(count.size() == size_t(kJobs));
    int twice = 0;
    for (const auto& [id, n] : count) twice += n != 1;
    CHECK(twice == 0);
    CHECK(list_dir(l.pending_dir()).empty());
    CHECK(list_dir(l.running_dir()).size() == size_t(kJobs));
    // Threads are scheduled unevenly on a loaded machine; "no starvation" here means
    // every claimer got some share, not an equal one.
    CHECK(fewest > 0);
    for (int64_t n : listings) CHECK(n < kJobs / 8);  // listings are amortised, not per claim
}
