// The one way hposync writes a file another process may read: write a temporary file
// in the same directory, fsync it, rename it over the final name, fsync the directory.
// rename(2) within one directory is atomic on local filesystems and on NFS, so a reader
// sees either the old file, or the complete new one, never half a file.
#pragma once
#include <string>
#include <string_view>

namespace hposync {

// Whether a write must survive the loss of the host's page cache (power loss, kernel
// crash), docs/SCALE.md "fsync policy". Both kinds are atomic for every reader and
// survive the death of the writing process; only `durable` pays two fsyncs (the file,
// then its directory), about 10 ms each on a busy disk.
//   durable:  results, study.conf, master.lock, round manifests, reasons, checkpoints.
//   contents: the file is fsynced, its directory is not: its name becomes durable with
//             the next durable write in the same directory. A result's curves and
//             predictions CSVs, whose result is linked (durably) into results/ next.
//   cached:   files rewritten every few seconds or repaired from others (leases, worker
//             files, attempts records, progress files, report files) and job files,
//             which the master makes durable with one sync_filesystem() before their
//             round manifest.
enum class Durability { durable, contents, cached };

// Atomically replaces (or creates) `path` with `content`. Throws IoError on failure
// (ENOSPC included); on failure the old file, if any, is untouched and no temp is left.
void write_file_atomic(const std::string& path, std::string_view content,
                       Durability durability = Durability::durable);

// Atomically creates `path` with `content` only if it does not exist yet: the temp file
// is published with link(2), which fails with EEXIST when another writer was first.
// Returns true if this call created the file, false if it already existed.
bool create_file_exclusive(const std::string& path, std::string_view content,
                           Durability durability = Durability::durable);

// syncfs(2) of the filesystem holding `dir`: every cached write before it is durable
// after it. Throws IoError when it fails.
void sync_filesystem(const std::string& dir);

// Reads a whole regular file. Throws IoError if it cannot be opened or read (ENOENT,
// EIO, ...); ParseError if it is a symbolic link (never followed), not a regular file
// (FIFO, directory, device, socket: refused without blocking), or larger than max_bytes
// (checked before reading, so a hostile 10 GB file cannot make us allocate 10 GB).
// Error messages name the path and the kind of file, never any of its content.
std::string read_file(const std::string& path, size_t max_bytes = 64u << 20);

// Name for temporary files: ".<base>.tmp.<host>.<pid>.<n>". Readers skip names
// starting with '.', so temporaries are never mistaken for data.
std::string temp_name_for(const std::string& path);

}  // namespace hposync
