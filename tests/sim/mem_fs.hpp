// The simulator's filesystem: a FileOps (protocol/file_ops.hpp) over a map in memory, so
// thousands of whole studies run in seconds and every call is seen. Each call first asks
// the world (`Hooks::before`) what happens to it: nothing, an injected errno, a crash of
// the calling actor (SimCrash thrown through the product's code), or a pause in which
// other actors run. Errors are reported exactly as the real wrappers report them
// (common/atomic_file, protocol/layout; the same mapping as tests/unit/protocol_fault_ops.hpp):
// ENOENT from a rename -> false, EEXIST from an exclusive create -> false, a missing
// directory lists empty, anything else -> IoError carrying the errno.
#pragma once
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/protocol/file_ops.hpp"

namespace hposync::sim {

enum class Op { read, write, create, rename, remove, exists, list };
const char* op_name(Op op);

// What the world decided for one call.
struct Fault {
    int err = 0;        // 0: the call proceeds normally
    bool late = false;  // the call takes effect, then reports `err` (a lost NFS reply)
};

class MemFs final : public protocol::FileOps {
public:
    struct Hooks {
        // Before every call: may throw (SimCrash), run other actors, move the clock.
        std::function<Fault(Op, const std::string& path)> before;
        // After a call changed a file (write, create, rename target, remove).
        std::function<void(Op, const std::string& path)> changed;
    };

    explicit MemFs(std::string root) : root_(std::move(root)) { dirs_.insert(root_); }
    void set_hooks(Hooks h) { hooks_ = std::move(h); }
    const std::string& root() const { return root_; }

    // Creates a directory and its parents (set-up only: no hooks, no faults).
    void mkdirs(const std::string& dir);
    // Raw access for the world (invariants, the stranger): no hooks, no faults.
    std::map<std::string, std::string>& files() { return files_; }
    const std::set<std::string>& dirs() const { return dirs_; }
    bool has_file(const std::string& p) const { return files_.count(p) > 0; }
    // Every path a call named that is not D or under D (the invariant "nothing outside D").
    const std::vector<std::string>& outside() const { return outside_; }
    int64_t calls() const { return calls_; }
    // Planted bug for the simulator's self-test: exclusive creates of results/*.result
    // overwrite an existing result and report success.
    bool plant_overwrite_results = false;

    std::string read(const std::string& path, size_t max_bytes) override;
    void write_atomic(const std::string& path, std::string_view content, Durability durability) override;
    bool create_exclusive(const std::string& path, std::string_view content, Durability durability) override;
    bool rename(const std::string& from, const std::string& to) override;
    void remove(const std::string& path) override;
    bool exists(const std::string& path) override;
    std::vector<std::string> list(const std::string& dir) override;

private:
    Fault enter(Op op, const std::string& path, const std::string& second = "");
    void changed(Op op, const std::string& path) {
        if (hooks_.changed) hooks_.changed(op, path);
    }
    bool parent_exists(const std::string& path) const;
    [[noreturn]] static void fail(const std::string& action, const std::string& path, int err) {
        throw IoError(action + " " + path + ": " + std::strerror(err), err);
    }

    std::string root_;
    std::map<std::string, std::string> files_;
    std::set<std::string> dirs_;
    std::vector<std::string> outside_;
    Hooks hooks_;
    int64_t calls_ = 0;
};

}  // namespace hposync::sim
