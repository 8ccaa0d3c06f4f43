#include "hposync/trainer/claim_filter.hpp"

#include <sys/stat.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::trainer {

std::optional<std::string> peek_trainer(const std::string& job_path) {
    struct stat st;
    if (::lstat(job_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;  // never open a FIFO
    try {
        const KeyValueFile f = KeyValueFile::parse(read_file(job_path, KeyValueFile::kMaxFile), job_path);
        return f.str_or("trainer", kBuiltinTrainer);
    } catch (const Error&) {  // gone (another worker won), torn or malformed: let the claim decide
        return std::nullopt;
    }
}

bool ClaimFilter::key_of(const std::string& path, FileKey& key) {
    // The file's identity: the master writes each job file once (a new inode), and a
    // requeue renames the same file back; after `hpo-master --force` the same id is a new
    // file, maybe for another trainer, so the id alone is no key.
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return false;
    key = FileKey{uint64_t(st.st_dev), uint64_t(st.st_ino), int64_t(st.st_size),
                  int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    return true;
}

void ClaimFilter::refuse(const std::string& id, const std::string& path) {
    FileKey key;
    if (!key_of(path, key)) return;  // gone already: nothing to remember
    if (cache_.size() > 100000) cache_.clear();
    cache_.insert_or_assign(id, Entry{key, "", true});
}

bool ClaimFilter::wants(const std::string& id, const std::string& path) {
    FileKey key;
    if (!key_of(path, key)) return true;  // gone: let the claim find out
    auto it = cache_.find(id);
    if (it == cache_.end() || !(it->second.key == key)) {
        auto t = peek_trainer(path);
        if (!t) return true;  // not cached: a vanished file may come back (requeue), a torn one gets quarantined
        if (cache_.size() > 100000) cache_.clear();  // bounded, whatever the study size
        it = cache_.insert_or_assign(id, Entry{key, *t}).first;
    }
    if (it->second.refused) return false;  // handed back by this worker: left for another
    if (trainers_.has(it->second.trainer)) return true;
    ++skipped_[it->second.trainer];
    ++pass_skipped_[it->second.trainer];
    return false;
}

}  // namespace hposync::trainer
