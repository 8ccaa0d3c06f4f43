// PendingIndex: claims from a cached random sample, still one rename per claim, correct
// when many claimers race (threads in one process stand in for worker processes).
#include <atomic>
#include <chrono>
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

// What a worker's claim loop does with the index; `lost` (if given) counts the renames
// that found the job already taken.
std::optional<std::string> claim(PendingIndex& idx, const Layout& l, const std::string& worker,
                                 int64_t* lost = nullptr) {
    idx.begin_claim();
    while (auto id = idx.next()) {
        if (rename_if_exists(l.pending_job(*id), l.running_job(*id, worker))) return id;
        if (lost) ++*lost;
    }
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

TEST_CASE("pending index: a drained sample is listed again after a few lost renames, not tried to the end") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    publish(l, 0, 2000);
    PendingIndex idx(l.pending_dir(), 5, 512);
    REQUIRE(claim(idx, l, "w1"));  // the sample now holds 511 names
    for (const auto& name : list_dir(l.pending_dir()))
        rename_if_exists(l.pending_dir() + "/" + name, l.done_dir() + "/" + name);
    publish(l, 5000, 3);
    int64_t lost = 0;
    const auto got = claim(idx, l, "w1", &lost);
    REQUIRE(got);
    CHECK(*got >= job_id(5000));
    // The last listing saw 2,000 names, so a listing costs about 2000 / 32 = 62 renames;
    // trying all 511 dead names first would cost eight times that.
    CHECK(lost == 2000 / 32);
    CHECK(idx.listings() == 2);
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

TEST_CASE("pending index: 16 racing claimers, 5,000 jobs: each claimed exactly once, nobody starves or gives up early") {
    TempDir t;
    Layout l(t.path);
    l.create_dirs();
    const int kJobs = 5000, kClaimers = 16;
    publish(l, 0, kJobs);
    std::vector<std::vector<std::string>> claimed(kClaimers);
    std::vector<int64_t> listings(kClaimers), failed_renames(kClaimers);
    std::vector<int> left_when_gave_up(kClaimers, -1);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int w = 0; w < kClaimers; ++w)
        ts.emplace_back([&, w] {
            // Start together, so the race is between claimers, not between thread starts.
            ready.fetch_add(1);
            while (ready.load() < kClaimers) std::this_thread::yield();
            PendingIndex idx(l.pending_dir(), 100 + w, 512);
            const std::string worker = "w" + std::to_string(w);
            while (auto got = claim(idx, l, worker, &failed_renames[w])) {
                claimed[w].push_back(*got);
                // Real workers train between claims. Without it, 5,000 renames take ~25 ms,
                // one scheduler period for 16 threads on 2 cores, and a share of zero says
                // how the OS ordered the threads, not whether the index is fair.
                std::this_thread::sleep_for(std::chrono::microseconds(500));
            }
            // Jobs only ever leave pending/, so what is there now was there when the index
            // said "nothing left": it must be nothing.
            left_when_gave_up[w] = int(list_dir(l.pending_dir()).size());
            listings[w] = idx.listings();
        });
    for (auto& th : ts) th.join();
    std::map<std::string, int> count;
    int64_t failed = 0;
    size_t fewest = kJobs, most = 0;
    for (int w = 0; w < kClaimers; ++w) {
        for (const auto& id : claimed[w]) ++count[id];
        failed += failed_renames[w];
        fewest = std::min(fewest, claimed[w].size());
        most = std::max(most, claimed[w].size());
        CHECK(left_when_gave_up[w] == 0);
    }
    // Fair share 5000 / 16 = 312; a claimer that keeps losing races would fall far below.
    MESSAGE("jobs per claimer: fewest " << fewest << ", most " << most);
    CHECK(fewest >= size_t(kJobs / kClaimers / 4));
    CHECK(count.size() == size_t(kJobs));
    int twice = 0;
    for (const auto& [id, n] : count) twice += n != 1;
    CHECK(twice == 0);
    CHECK(list_dir(l.pending_dir()).empty());
    CHECK(list_dir(l.running_dir()).size() == size_t(kJobs));
    // The cost of lost races is pinned by the drained-sample test above.
    MESSAGE("failed renames: " << failed << " for " << kJobs << " claims");
    for (int64_t n : listings) CHECK(n < kJobs / 8);  // listings are amortised, not per claim
}
