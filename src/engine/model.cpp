// Model::build: a plain stack of layers made from a parsed ModelSpec.
#include "hposync/engine/model.hpp"

#include <cstdio>
#include <cstring>

#include "hposync/common/error.hpp"
#include "hposync/engine/model_spec.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/flatten.hpp"
#include "layers/init.hpp"
#include "layers/max_pool.hpp"
#include "layers/relu.hpp"

namespace hposync::engine {

namespace {

TensorShape in_shape(const LayerSpec& l) { return {l.in_c, l.in_h, l.in_w}; }

std::unique_ptr<Layer> make_layer(const LayerSpec& l, const std::string& name, size_t index) {
    switch (l.kind) {
        case LayerKind::Dense: return std::make_unique<Dense>(name, in_shape(l), l.units, l.fused_relu, l.he_init);
        case LayerKind::Conv:
            return std::make_unique<Conv2d>(name, in_shape(l), ConvGeometry{l.units, l.kernel, l.stride, l.pad},
                                            l.fused_relu, l.he_init);
        case LayerKind::MaxPool: return std::make_unique<MaxPool>(name, in_shape(l), l.kernel);
        case LayerKind::BatchNorm: return std::make_unique<BatchNorm>(name, in_shape(l));
        case LayerKind::ReLU: return std::make_unique<ReLU>(name, in_shape(l));
        case LayerKind::Dropout: return std::make_unique<Dropout>(name, in_shape(l), l.drop, index);
        case LayerKind::Flatten: return std::make_unique<Flatten>(name, in_shape(l));
    }
    throw Error("unknown layer kind");
}

// Short layer names for parameter names and the summary: fc1, conv2, bn1, pool1, ...
const char* name_prefix(LayerKind kind) {
    switch (kind) {
        case LayerKind::Dense: return "fc";
        case LayerKind::Conv: return "conv";
        case LayerKind::MaxPool: return "pool";
        case LayerKind::BatchNorm: return "bn";
        case LayerKind::ReLU: return "relu";
        case LayerKind::Dropout: return "drop";
        case LayerKind::Flatten: return "flatten";
    }
    return "layer";
}

class SequentialModel : public Model {
public:
    SequentialModel(const ModelSpec& spec, const InputShape& input, uint64_t seed)
        : spec_(spec.text), input_size_(int64_t(input.c) * input.h * input.w), classes_(input.classes) {
        int counts[8] = {};
        for (size_t i = 0; i < spec.layers.size(); ++i) {
            const LayerSpec& l = spec.layers[i];
            const std::string name = name_prefix(l.kind) + std::to_string(++counts[int(l.kind)]);
            layers_.push_back(make_layer(l, name, i));
            // Seed per layer = hash(seed, layer index): adding a layer at the end leaves
            // the others' initial weights unchanged.
            layers_.back()->init(derive_seed(seed, i));
            observed_.push_back(l.kind == LayerKind::Dense || l.kind == LayerKind::Conv || l.kind == LayerKind::ReLU);
            relu_.push_back(l.fused_relu || l.kind == LayerKind::ReLU);
            param_count_ += layers_.back()->param_count();
            if (first_trainable_ < 0 && layers_.back()->param_count() > 0) first_trainable_ = int64_t(i);
        }
    }

    int64_t param_count() const override { return param_count_; }
    const std::string& spec() const override { return spec_; }
    int classes() const override { return classes_; }

    std::vector<ParamRef> params() override {
        std::vector<ParamRef> all;
        for (auto& l : layers_)
            for (ParamRef& p : l->params()) all.push_back(p);
        return all;
    }

    std::vector<StateRef> state() override {
        std::vector<StateRef> all;
        for (auto& l : layers_)
            for (StateRef& s : l->state()) all.push_back(s);
        return all;
    }

    std::string summary() const override {
        std::string out;
        char line[256];
        std::snprintf(line, sizeof line, "%-10s %-34s %-14s %12s\n", "layer", "kind", "output", "params");
        out += line;
        for (const auto& l : layers_) {
            std::snprintf(line, sizeof line, "%-10s %-34s %-14s %12lld\n", l->name().c_str(), l->describe().c_str(),
                          l->out_shape().str().c_str(), static_cast<long long>(l->param_count()));
            out += line;
        }
        return out;
    }

    const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) override {
        if (n <= 0) throw Error("Model::forward: batch size must be positive");
        // Our own copy of the input: backward needs it, and the caller's buffer may change.
        const size_t need = size_t(n * input_size_);
        if (input_.size() < need) input_.resize(need);
        std::memcpy(input_.data(), x, need * sizeof(float));
        const float* a = input_.data();
        outputs_.resize(layers_.size());
        for (size_t i = 0; i < layers_.size(); ++i) outputs_[i] = a = layers_[i]->forward(a, n, training, dropout_seed);
        last_n_ = n;
        last_training_ = training;
        return a;
    }

    void backward(const float* dlogits) override {
        if (!last_training_) throw Error("Model::backward: the last forward was not a training forward");
        const float* d = dlogits;
        // A layer computes dL/dx only if a layer before it has parameters: the input
        // gradient of the first trainable layer (after an implicit flatten, say) is
        // nobody's business, and it costs as much as its weight gradient.
        for (size_t i = layers_.size(); i-- > 0;) d = layers_[i]->backward(d, int64_t(i) > first_trainable_);
    }

    std::vector<LayerActivation> activations() const override {
        std::vector<LayerActivation> out;
        for (size_t i = 0; i < outputs_.size(); ++i) {
            if (!observed_[i]) continue;
            const TensorShape s = layers_[i]->out_shape();
            out.push_back({layers_[i]->name(), outputs_[i], last_n_, s.c, s.h * s.w, bool(relu_[i])});
        }
        return out;
    }

private:
    std::string spec_;
    int64_t input_size_;
    int classes_;
    int64_t param_count_ = 0;
    int64_t first_trainable_ = -1;  // index of the first layer with parameters
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<float> input_;
    bool last_training_ = false;
    // For activations(): which layers are reported, whether a ReLU ends them, and each
    // layer's output pointer of the last forward.
    std::vector<bool> observed_, relu_;
    std::vector<const float*> outputs_;
    int64_t last_n_ = 0;
};

}  // namespace

std::unique_ptr<Model> Model::build(const std::string& spec, const InputShape& input, uint64_t seed, int filters) {
    return std::make_unique<SequentialModel>(parse_model_spec(spec, input, filters), input, seed);
}

}  // namespace hposync::engine
