// A fresh temporary folder for one unit test, removed when the test's scope ends: also
// when a failing REQUIRE throws out of it (a trailing remove_all would be skipped then).
#pragma once
#include <string>

#include <boost/filesystem.hpp>

namespace hposync::testing {

class TempDir {
public:
    // Creates <system temp>/<prefix>-XXXXXX (random suffix).
    explicit TempDir(const std::string& prefix = "hposync-unit") : path(make(prefix)) {}
    ~TempDir() {
        boost::system::error_code ec;
        boost::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const boost::filesystem::path path;

private:
    static boost::filesystem::path make(const std::string& prefix) {
        namespace fs = boost::filesystem;
        const fs::path p = fs::temp_directory_path() / fs::unique_path(prefix + "-%%%%%%");
        fs::create_directories(p);
        return p;
    }
};

}  // namespace hposync::testing
