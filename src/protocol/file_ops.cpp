#include "hposync/protocol/file_ops.hpp"

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {
namespace {

class RealFileOps final : public FileOps {
public:
    std::string read(const std::string& path, size_t max_bytes) override { return read_file(path, max_bytes); }
    void write_atomic(const std::string& path, std::string_view content, Durability durability) override {
        write_file_atomic(path, content, durability);
    }
    bool create_exclusive(const std::string& path, std::string_view content, Durability durability) override {
        return create_file_exclusive(path, content, durability);
    }
    bool rename(const std::string& from, const std::string& to) override { return rename_if_exists(from, to); }
    void remove(const std::string& path) override { remove_if_exists(path); }
    bool exists(const std::string& path) override { return path_exists(path); }
    std::vector<std::string> list(const std::string& dir) override { return list_dir(dir); }
};

}  // namespace

FileOps& real_file_ops() {
    static RealFileOps ops;
    return ops;
}

}  // namespace hposync::protocol
