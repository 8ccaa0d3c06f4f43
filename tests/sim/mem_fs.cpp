#include "mem_fs.hpp"

#include <algorithm>

namespace hposync::sim {

const char* op_name(Op op) {
    switch (op) {
        case Op::read: return "read";
        case Op::write: return "write";
        case Op::create: return "create";
        case Op::rename: return "rename";
        case Op::remove: return "remove";
        case Op::exists: return "exists";
        case Op::list: return "list";
    }
    return "?";
}

namespace {
std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}
bool under(const std::string& path, const std::string& dir) {
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}
// "/a/b/../c" -> "/a/c": what a path names, lexically ("D/../x" is not under D).
std::string normal(const std::string& path) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= path.size()) {
        const size_t j = std::min(path.find('/', i), path.size());
        const std::string c = path.substr(i, j - i);
        if (c == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!c.empty() && c != ".") {
            parts.push_back(c);
        }
        i = j + 1;
    }
    std::string out;
    for (const auto& c : parts) out += "/" + c;
    return out.empty() ? "/" : out;
}
}  // namespace

void MemFs::mkdirs(const std::string& dir) {
    for (std::string d = dir; d.size() > 1 && !dirs_.count(d); d = parent_of(d)) dirs_.insert(d);
}

bool MemFs::parent_exists(const std::string& path) const { return dirs_.count(parent_of(path)) > 0; }

Fault MemFs::enter(Op op, const std::string& path, const std::string& second) {
    ++calls_;
    for (const std::string* p : {&path, &second})
        if (!p->empty() && normal(*p) != root_ && !under(normal(*p), root_))
            outside_.push_back(std::string(op_name(op)) + " " + *p);
    return hooks_.before ? hooks_.before(op, path) : Fault{};
}

std::string MemFs::read(const std::string& path, size_t max_bytes) {
    const Fault f = enter(Op::read, path);
    if (f.err) fail("cannot open", path, f.err);
    if (dirs_.count(path)) throw ParseError(path + ": is a directory, not a regular file (only regular files are read)");
    auto it = files_.find(path);
    if (it == files_.end()) fail("cannot open", path, ENOENT);
    if (it->second.size() > max_bytes)
        throw ParseError(path + ": file larger than " + std::to_string(max_bytes) + " bytes");
    return it->second;
}

void MemFs::write_atomic(const std::string& path, std::string_view content, Durability) {
    const Fault f = enter(Op::write, path);
    if (f.err && !f.late) fail("cannot write", path, f.err);
    if (!parent_exists(path)) fail("cannot write", path, ENOENT);
    if (dirs_.count(path)) fail("cannot write", path, EISDIR);
    files_[path] = std::string(content);
    changed(Op::write, path);
    if (f.err) fail("cannot write", path, f.err);
}

bool MemFs::create_exclusive(const std::string& path, std::string_view content, Durability) {
    const Fault f = enter(Op::create, path);
    if (f.err == EEXIST && !f.late) return false;
    if (f.err && !f.late) fail("cannot publish", path, f.err);
    if (!parent_exists(path)) fail("cannot publish", path, ENOENT);
    const bool overwrite = plant_overwrite_results && path.size() > 7 && path.compare(path.size() - 7, 7, ".result") == 0;
    if ((files_.count(path) && !overwrite) || dirs_.count(path)) {
        if (f.err) fail("cannot publish", path, f.err);
        return false;
    }
    files_[path] = std::string(content);
    changed(Op::create, path);
    if (f.err == EEXIST) return false;  // the link's reply was lost; its retransmission found the file
    if (f.err) fail("cannot publish", path, f.err);
    return true;
}

bool MemFs::rename(const std::string& from, const std::string& to) {
    const Fault f = enter(Op::rename, from, to);
    if (f.err == ENOENT && !f.late) return false;
    if (f.err && !f.late) fail("cannot rename " + from + " to", to, f.err);
    if (!parent_exists(to)) return false;  // rename(2): ENOENT for a missing target directory too
    if (auto it = files_.find(from); it != files_.end()) {
        if (dirs_.count(to)) fail("cannot rename " + from + " to", to, EISDIR);
        std::string content = std::move(it->second);
        files_.erase(it);
        files_[to] = std::move(content);
        changed(Op::remove, from);
        changed(Op::rename, to);
    } else if (dirs_.count(from)) {  // a whole directory (archive_study_state)
        if (files_.count(to) || dirs_.count(to)) fail("cannot rename " + from + " to", to, EEXIST);
        std::map<std::string, std::string> moved;
        for (auto it2 = files_.lower_bound(from + "/"); it2 != files_.end() && under(it2->first, from);)
            moved[to + it2->first.substr(from.size())] = std::move(it2->second), it2 = files_.erase(it2);
        std::set<std::string> dirs;
        for (auto it2 = dirs_.begin(); it2 != dirs_.end();)
            if (*it2 == from || under(*it2, from)) dirs.insert(to + it2->substr(from.size())), it2 = dirs_.erase(it2);
            else ++it2;
        files_.insert(moved.begin(), moved.end());
        dirs_.insert(dirs.begin(), dirs.end());
    } else {
        return false;
    }
    if (f.err == ENOENT) return false;  // the reply was lost; its retransmission found no source
    if (f.err) fail("cannot rename " + from + " to", to, f.err);
    return true;
}

void MemFs::remove(const std::string& path) {
    const Fault f = enter(Op::remove, path);
    if (f.err == ENOENT && !f.late) return;
    if (f.err && !f.late) fail("cannot remove", path, f.err);
    if (dirs_.count(path)) fail("cannot remove", path, EISDIR);
    if (files_.erase(path)) changed(Op::remove, path);
    if (f.err && f.err != ENOENT) fail("cannot remove", path, f.err);
}

bool MemFs::exists(const std::string& path) {
    const Fault f = enter(Op::exists, path);
    if (f.err) return false;  // path_exists: lstat failed, whatever the errno
    return files_.count(path) > 0 || dirs_.count(path) > 0;
}

std::vector<std::string> MemFs::list(const std::string& dir) {
    const Fault f = enter(Op::list, dir);
    if (f.err == ENOENT) return {};
    if (f.err) fail("cannot list directory", dir, f.err);
    std::set<std::string> names;
    for (auto it = files_.lower_bound(dir + "/"); it != files_.end() && under(it->first, dir); ++it) {
        const std::string rest = it->first.substr(dir.size() + 1);
        names.insert(rest.substr(0, rest.find('/')));
    }
    for (auto it = dirs_.lower_bound(dir + "/"); it != dirs_.end() && under(*it, dir); ++it) {
        const std::string rest = it->substr(dir.size() + 1);
        names.insert(rest.substr(0, rest.find('/')));
    }
    std::vector<std::string> out;
    for (const auto& n : names)
        if (!n.empty() && n[0] != '.') out.push_back(n);
    return out;
}

}  // namespace hposync::sim
