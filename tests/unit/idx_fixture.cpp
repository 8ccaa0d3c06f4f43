#include "idx_fixture.hpp"

#include "hposync/data/dataset.hpp"

namespace hposync::testing {

bool have_real_data() {
    namespace fs = boost::filesystem;
    const std::string dir = data::find_data_dir();
    auto any = [](const std::string& base) { return fs::exists(base) || fs::exists(base + ".gz"); };
    return any(dir + "/mnist/train-images-idx3-ubyte") && any(dir + "/fashion-mnist/train-images-idx3-ubyte");
}

}  // namespace hposync::testing
