// Which pending job a worker tries to claim next, at a cost that does not grow with the
// queue. Listing and sorting all of jobs/pending for every claim made a claim cost O(N)
// (9.2 ms per job at 20,000 pending, issue 19). Instead a worker keeps a random sample of
// the names it saw at its last listing and tries them in random order; it lists again
// only when the sample is used up. The claim itself is still one rename(2) that fails
// with ENOENT when another worker won, so a stale sample costs a failed rename, never a
// wrong claim; `next()` says "nothing pending" only after a fresh listing found nothing.
//
// Fairness: every worker draws uniformly from what it listed, so no job and no worker is
// favoured. Memory: at most `cap` names per worker (4,096 by default), whatever N is.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace hposync::protocol {

class PendingIndex {
public:
    // `pending_dir`: Layout::pending_dir(). `seed`: per-worker randomness.
    explicit PendingIndex(std::string pending_dir, uint64_t seed, size_t cap = 4096);

    // Starts one claim attempt: from now on next() lists the directory again at most as
    // often as needed to prove that nothing is left to try.
    void begin_claim();
    // The next job id to try to rename, or nullopt once a listing made during this claim
    // attempt has nothing left to offer.
    std::optional<std::string> next();
    // A name known to be pending (e.g. from an inotify event): tried before the sample.
    void hint(const std::string& id);

    int64_t listings() const { return listings_; }  // directory listings so far
    size_t cached() const { return sample_.size() + hints_.size(); }

private:
    void relist();

    std::string dir_;
    std::mt19937_64 rng_;
    size_t cap_;
    std::vector<std::string> sample_, hints_;
    bool listed_in_claim_ = false;  // a listing happened during the current claim attempt
    bool truncated_ = false;        // that listing saw more names than the sample holds
    int64_t listings_ = 0;
    int tries_since_listing_ = 0;  // ids handed out in this claim since the last listing
    size_t seen_ = 0;              // job names the last listing saw
    static constexpr size_t kMinStaleAfter = 4, kNamesPerRename = 32;
};

}  // namespace hposync::protocol
