// Why `make test` left a Python group out, or "" when it did not. tools/python-env.sh
// --optional skips the torch group (5 GB of CUDA wheels) only when the disk cannot hold it
// and still leave room for the build, and writes the reason to <venv>/hposync-skipped/torch.
// A check that needs PyTorch then reports SKIPPED with that reason; any other absence of a
// framework stays a failure (a check that skips where it should run proves nothing).
#pragma once
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <boost/filesystem.hpp>

namespace hposync::testing {

inline std::string python_group_skipped(const std::string& repo_root, const std::string& group) {
    const char* env = std::getenv("HPOSYNC_VENV");
    const boost::filesystem::path venv = env && *env ? boost::filesystem::path(env) : boost::filesystem::path(repo_root) / ".venv";
    const boost::filesystem::path why = venv / "hposync-skipped" / group;
    boost::system::error_code ec;
    if (!boost::filesystem::is_regular_file(why, ec)) return "";
    std::ifstream in(why.string());
    std::ostringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s.empty() ? "no reason recorded" : s;
}

}  // namespace hposync::testing
