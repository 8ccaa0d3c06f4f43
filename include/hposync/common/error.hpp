// Errors: every error hposync reports names the file (and line / field where known),
// so a user can go straight to the offending place.
#pragma once
#include <stdexcept>
#include <string>

namespace hposync {

// Base class of every error hposync throws on purpose.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Malformed input: a job, study or result file, a model spec, a data file.
struct ParseError : Error {
    using Error::Error;
};

// A system call on a file failed (ENOSPC, EACCES, ...). The message names path and errno text.
struct IoError : Error {
    IoError(const std::string& what, int err) : Error(what), errno_value(err) {}
    int errno_value;
};

// Throws IoError "<action> <path>: <strerror(errno)>" using the current errno.
[[noreturn]] void throw_io_error(const std::string& action, const std::string& path);

}  // namespace hposync
