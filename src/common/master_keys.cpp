#include "hposync/common/master_keys.hpp"

namespace hposync {

const std::vector<std::string_view>& master_owned_job_keys() {
    static const std::vector<std::string_view> keys = {"format",      "id",       "study",  "study_hash", "round",
                                                       "config",      "repeat",   "searched", "seed",
                                                       "resume_from"};
    return keys;
}

bool is_master_owned_job_key(std::string_view key) {
    for (auto k : master_owned_job_keys())
        if (k == key) return true;
    return false;
}

}  // namespace hposync
