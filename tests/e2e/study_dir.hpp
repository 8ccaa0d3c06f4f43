// A temporary folder for one end-to-end test, with the study directory D = <folder>/d
// (not created: the processes make it) and room beside it for study files and logs.
// Removed afterwards unless HPOSYNC_KEEP is set (to look at a failure).
#pragma once
#include <boost/filesystem.hpp>
#include <cstdlib>
#include <string>
#include <sys/stat.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::e2e {

struct StudyDir {
    std::string path;
    protocol::Layout layout;
    StudyDir() : path(make()), layout(path + "/d") {}
    ~StudyDir() {
        if (!std::getenv("HPOSYNC_KEEP")) boost::filesystem::remove_all(path);
    }
    StudyDir(const StudyDir&) = delete;
    StudyDir& operator=(const StudyDir&) = delete;
    std::string dir() const { return layout.root(); }
    // <folder>/<name> with `text`; executable with `exec` (a trainer script).
    std::string file(const std::string& name, const std::string& text, bool exec = false) const {
        write_file_atomic(path + "/" + name, text);
        if (exec) ::chmod((path + "/" + name).c_str(), 0755);
        return path + "/" + name;
    }
    std::string log(const std::string& name) const { return path + "/" + name + ".log"; }
    static std::string make() {
        char tmpl[] = "/tmp/hposync-e2e-XXXXXX";
        return ::mkdtemp(tmpl);
    }
};

}  // namespace hposync::e2e
