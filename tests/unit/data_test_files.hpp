// Small helpers for data tests: a temp directory and raw byte files.
#pragma once
#include <boost/filesystem.hpp>
#include <string>
#include <vector>

#include "hposync/common/atomic_file.hpp"

struct DataTempDir {
    boost::filesystem::path path;
    DataTempDir() : path(boost::filesystem::temp_directory_path() / boost::filesystem::unique_path("hpo-data-%%%%%%")) {
        boost::filesystem::create_directories(path);
    }
    ~DataTempDir() { boost::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& bytes) const {
        std::string p = (path / name).string();
        hposync::write_file_atomic(p, bytes);
        return p;
    }
};

inline std::string be32(uint32_t v) {
    std::string s;
    for (int sh = 24; sh >= 0; sh -= 8) s += char((v >> sh) & 0xff);
    return s;
}
