// A fresh temporary study directory per test, removed afterwards.
#pragma once
#include <cstdlib>
#include <string>

#include <boost/filesystem.hpp>

namespace hposync::protocol::testing {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/hposync-protocol-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        boost::system::error_code ec;
        boost::filesystem::remove_all(path, ec);
    }
};

}  // namespace hposync::protocol::testing
