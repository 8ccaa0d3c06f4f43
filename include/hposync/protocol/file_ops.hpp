// The file operations the protocol's state transitions are made of, behind one small
// interface. Production code uses real_file_ops() (common/atomic_file + layout's rename
// and unlink wrappers); unit tests substitute an implementation that injects faults
// (EIO, ENOSPC, EEXIST, ENOENT, ...) into any one call, so every error path of every
// transition is reachable in-process (tests/unit/protocol_fault_ops.hpp).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "hposync/common/atomic_file.hpp"

namespace hposync::protocol {

class FileOps {
public:
    virtual ~FileOps() = default;
    // read_file: regular files only, never through a symlink, at most max_bytes.
    virtual std::string read(const std::string& path, size_t max_bytes) = 0;
    // write_file_atomic: temp (+ fsync when durable) + rename.
    virtual void write_atomic(const std::string& path, std::string_view content, Durability durability) = 0;
    // create_file_exclusive: temp (+ fsync) + link; false if `path` existed (EEXIST).
    virtual bool create_exclusive(const std::string& path, std::string_view content, Durability durability) = 0;
    // rename_if_exists: false on ENOENT (somebody else moved the file first).
    virtual bool rename(const std::string& from, const std::string& to) = 0;
    // remove_if_exists: ENOENT is fine.
    virtual void remove(const std::string& path) = 0;
    // lstat succeeds (any kind of file).
    virtual bool exists(const std::string& path) = 0;
    // list_dir: sorted names without '.' names; a missing directory is empty.
    virtual std::vector<std::string> list(const std::string& dir) = 0;
};

// The real filesystem. One process-wide instance.
FileOps& real_file_ops();

}  // namespace hposync::protocol
