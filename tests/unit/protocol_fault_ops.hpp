// A FileOps for tests: the real filesystem, except for the calls a rule matches, which
// fail with the rule's errno exactly as the real wrapper would report it (ENOENT from a
// rename -> false, EEXIST from an exclusive create -> false, anything else -> IoError;
// reads can also return a parse error). Lets every error path of every transition run
// in-process on a temporary directory.
#pragma once
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/protocol/file_ops.hpp"

namespace hposync::protocol::testing {

enum class Op { read, write, create, rename, remove, exists, list };

class FaultOps : public FileOps {
public:
    struct Rule {
        Op op;
        std::string path_part;  // matches if the (first) path contains this
        int err;                // errno to inject; 0 with op read = return `content`
        int times = -1;         // -1 = always
        std::string content;    // for reads with err 0: what the "file" contains
    };
    // Fails the next `times` calls of `op` on a path containing `part` with `err`.
    FaultOps& fail(Op op, const std::string& part, int err, int times = -1) {
        rules_.push_back({op, part, err, times, ""});
        return *this;
    }
    // Makes reads of a path containing `part` return `content` (a damaged file).
    FaultOps& garble(const std::string& part, const std::string& content) {
        rules_.push_back({Op::read, part, 0, -1, content});
        return *this;
    }
    void clear() { rules_.clear(); }
    int injected() const { return injected_; }

    std::string read(const std::string& path, size_t max_bytes) override {
        if (const Rule* r = match(Op::read, path)) {
            if (r->err == 0) return r->content;
            throw_err("cannot open", path, r->err);
        }
        return real().read(path, max_bytes);
    }
    void write_atomic(const std::string& path, std::string_view content, Durability durability) override {
        if (const Rule* r = match(Op::write, path)) throw_err("cannot write", path, r->err);
        real().write_atomic(path, content, durability);
    }
    bool create_exclusive(const std::string& path, std::string_view content, Durability durability) override {
        if (const Rule* r = match(Op::create, path)) {
            if (r->err == EEXIST) return false;
            throw_err("cannot publish", path, r->err);
        }
        return real().create_exclusive(path, content, durability);
    }
    bool rename(const std::string& from, const std::string& to) override {
        if (const Rule* r = match(Op::rename, from)) {
            if (r->err == ENOENT) return false;
            throw_err("cannot rename " + from + " to", to, r->err);
        }
        return real().rename(from, to);
    }
    void remove(const std::string& path) override {
        if (const Rule* r = match(Op::remove, path)) {
            if (r->err == ENOENT) return;
            throw_err("cannot remove", path, r->err);
        }
        real().remove(path);
    }
    bool exists(const std::string& path) override {
        if (const Rule* r = match(Op::exists, path)) {
            if (r->err == ENOENT) return false;
            return true;
        }
        return real().exists(path);
    }
    std::vector<std::string> list(const std::string& dir) override {
        if (const Rule* r = match(Op::list, dir)) throw_err("cannot list directory", dir, r->err);
        return real().list(dir);
    }

private:
    static FileOps& real() { return real_file_ops(); }
    const Rule* match(Op op, const std::string& path) {
        for (auto& r : rules_) {
            if (r.op != op || r.times == 0 || path.find(r.path_part) == std::string::npos) continue;
            if (r.times > 0) --r.times;
            ++injected_;
            return &r;
        }
        return nullptr;
    }
    [[noreturn]] static void throw_err(const std::string& action, const std::string& path, int err) {
        throw IoError(action + " " + path + ": " + std::strerror(err), err);
    }
    std::vector<Rule> rules_;
    int injected_ = 0;
};

}  // namespace hposync::protocol::testing
