#include "hposync/engine/weights_file.hpp"

#include <cstring>

#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/synthetic.hpp"

namespace hposync::engine {

std::string initial_weights_file(const TrainConfig& cfg) {
    if (is_synthetic(cfg.model)) throw Error("model '" + cfg.model + "' is synthetic: it has no weights");
    const data::DatasetInfo info = data::dataset_info(cfg.dataset);
    // The same call engine::train makes (train.cpp), so the weights are the same bits.
    const auto model = Model::build(cfg.model, InputShape{info.c, info.h, info.w, info.num_classes}, cfg.seed,
                                    cfg.filters);
    std::string head = std::string("format = ") + kWeightsFormat + "\nmodel = " + model->spec() +
                       "\nseed = " + std::to_string(cfg.seed) + "\n";
    std::string body;
    static_assert(sizeof(float) == 4, "float32");
    for (const ParamRef& p : model->params()) {
        head += "tensor = " + p.name + " " + std::to_string(p.size) + "\n";
        const size_t at = body.size();
        body.resize(at + size_t(p.size) * 4);
        // x86-64 is little-endian: the floats are written as they are in memory.
        std::memcpy(&body[at], p.value, size_t(p.size) * 4);
    }
    return head + "data = float32-le\n" + body;
}

}  // namespace hposync::engine
