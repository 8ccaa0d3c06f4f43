#include "hposync/common/error.hpp"

#include <cerrno>
#include <cstring>

namespace hposync {

void throw_io_error(const std::string& action, const std::string& path) {
    int err = errno;
    throw IoError(action + " " + path + ": " + std::strerror(err), err);
}

}  // namespace hposync
