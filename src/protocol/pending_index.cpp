#include "hposync/protocol/pending_index.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>

#include "hposync/common/error.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

PendingIndex::PendingIndex(std::string pending_dir, uint64_t seed, size_t cap)
    : dir_(std::move(pending_dir)), rng_(seed), cap_(cap < 1 ? 1 : cap) {}

void PendingIndex::begin_claim() {
    listed_in_claim_ = false;
    truncated_ = false;
    tries_since_listing_ = 0;
}

void PendingIndex::hint(const std::string& id) { hints_.push_back(id); }

// One pass of readdir, unsorted (sorting was most of the old cost), keeping a uniform
// random sample of at most cap_ ids (reservoir sampling).
void PendingIndex::relist() {
    sample_.clear();
    ++listings_;
    tries_since_listing_ = 0;
    listed_in_claim_ = true;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) {
        truncated_ = false;
        if (errno == ENOENT) return;
        throw_io_error("cannot list directory", dir_);
    }
    size_t seen = 0;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;  // ".", "..", temporaries of the atomic writer
        auto id = id_from_name(e->d_name, ".job");
        if (!id) continue;
        ++seen;
        if (sample_.size() < cap_) {
            sample_.push_back(std::move(*id));
        } else {
            const size_t j = std::uniform_int_distribution<size_t>(0, seen - 1)(rng_);
            if (j < cap_) sample_[j] = std::move(*id);
        }
    }
    ::closedir(d);
    seen_ = seen;
    truncated_ = seen > sample_.size();
}

std::optional<std::string> PendingIndex::next() {
    if (!hints_.empty()) {
        std::string id = std::move(hints_.back());
        hints_.pop_back();
        return id;
    }
    // A sample left from an earlier claim may be stale; it is tried first (a failed
    // rename costs microseconds, a listing of 100,000 names milliseconds). Once it is
    // used up, list again, unless this attempt already listed everything there was.
    //
    // Within one claim every call after the first means the last rename lost. A run of
    // losses says other claimers have drained this sample (at the end of a round, 16
    // claimers holding 512 taken names each tried ~8,500 dead renames for 5,000 jobs; over
    // sshfs each is a network round trip), so the directory is listed again once the
    // losses cost about what a listing does: a rename costs about as much as reading
    // kNamesPerRename directory entries (locally ~3 us vs ~0.1 us a name; over SFTP one
    // round trip vs one READDIR packet of ~100 names).
    const size_t stale_after = std::max<size_t>(kMinStaleAfter, seen_ / kNamesPerRename);
    if (!sample_.empty() && size_t(tries_since_listing_) >= stale_after) relist();
    if (sample_.empty()) {
        if (listed_in_claim_ && !truncated_) return std::nullopt;
        relist();
        if (sample_.empty()) return std::nullopt;
    }
    ++tries_since_listing_;
    const size_t k = std::uniform_int_distribution<size_t>(0, sample_.size() - 1)(rng_);
    std::swap(sample_[k], sample_.back());
    std::string id = std::move(sample_.back());
    sample_.pop_back();
    return id;
}

}  // namespace hposync::protocol
