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
#include "dnnl_context.hpp"
#include "layers/flatten.hpp"
#include "layers/init.hpp"
#include "layers/layout_bridge.hpp"
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
        : spec_(spec.text),
          input_shape_{input.c, input.h, input.w},
          input_size_(input_shape_.size()),
          classes_(input.classes) {
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
            first_param_.push_back(param_tensors_);
            param_tensors_ += layers_.back()->params().size();
            if (first_trainable_ < 0 && layers_.back()->param_count() > 0) first_trainable_ = int64_t(i);
            if (auto* conv = dynamic_cast<Conv2d*>(layers_.back().get())) conv->keep_chosen_layout(true);
        }
        bridges_.resize(layers_.size());
        out_mds_.resize(layers_.size());
        plain_copies_.resize(layers_.size());
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
        dnnl::memory::desc md = nchw_desc(n, input_shape_);
        outputs_.resize(layers_.size());
        for (size_t i = 0; i < layers_.size(); ++i) {
            Layer& layer = *layers_[i];
            if (!layer.takes_blocked_input()) {
                const dnnl::memory::desc plain = nchw_desc(n, layer.in_shape());
                a = bridges_[i].to_plain(a, md, plain);
                md = plain;
            }
            outputs_[i] = a = layer.forward_in(a, md, n, training, dropout_seed);
            out_mds_[i] = md = layer.out_desc(n);
        }
        last_n_ = n;
        last_training_ = training;
        return a;
    }

    using Model::backward;
    void backward(const float* dlogits, const GradientsReady& ready, const GradientTarget* targets) override {
        if (!last_training_) throw Error("Model::backward: the last forward was not a training forward");
        const float* d = dlogits;
        // A layer computes dL/dx only if a layer before it has parameters: the input
        // gradient of the first trainable layer (after an implicit flatten, say) is
        // nobody's business, and it costs as much as its weight gradient.
        for (size_t i = layers_.size(); i-- > 0;) {
            const GradientTarget* layer_targets = targets ? targets + first_param_[i] : nullptr;
            d = layers_[i]->backward_folded(d, int64_t(i) > first_trainable_, layer_targets);
            // Layer i is done with its parameters (dx is computed): they may change now.
            const size_t count = (i + 1 < layers_.size() ? first_param_[i + 1] : param_tensors_) - first_param_[i];
            if (ready && count > 0) ready(first_param_[i], count);
            if (!layers_[i]->takes_blocked_input()) d = bridges_[i].gradient_back(d);
        }
    }

    std::vector<LayerActivation> activations() const override {
        std::vector<LayerActivation> out;
        for (size_t i = 0; i < outputs_.size(); ++i) {
            if (!observed_[i]) continue;
            const TensorShape s = layers_[i]->out_shape();
            out.push_back({layers_[i]->name(), plain_output(i), last_n_, s.c, s.h * s.w, bool(relu_[i])});
        }
        return out;
    }

private:
    // Layer i's last output in plain NCHW: the output itself, or a reordered copy when the
    // layer handed it on blocked (the instruments read activations every few updates only).
    const float* plain_output(size_t i) const {
        const dnnl::memory::desc plain = nchw_desc(last_n_, layers_[i]->out_shape());
        if (out_mds_[i] == plain) return outputs_[i];
        std::vector<float>& copy = plain_copies_[i];
        copy.resize(size_t(float_count(plain)));
        const dnnl::memory from = wrap(out_mds_[i], const_cast<float*>(outputs_[i])), to = wrap(plain, copy.data());
        run_primitive(dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
        return copy.data();
    }

    std::string spec_;
    TensorShape input_shape_;
    int64_t input_size_;
    int classes_;
    int64_t param_count_ = 0;
    int64_t first_trainable_ = -1;  // index of the first layer with parameters
    std::vector<size_t> first_param_;  // per layer: index of its first tensor in params()
    size_t param_tensors_ = 0;         // tensors in params()
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<float> input_;
    bool last_training_ = false;
    // For activations(): which layers are reported, whether a ReLU ends them, and each
    // layer's output pointer of the last forward.
    std::vector<bool> observed_, relu_;
    std::vector<const float*> outputs_;
    std::vector<dnnl::memory::desc> out_mds_;  // each output's layout (plain or blocked)
    mutable std::vector<std::vector<float>> plain_copies_;
    std::vector<LayoutBridge> bridges_;  // in front of layers that need plain input
    int64_t last_n_ = 0;
};

}  // namespace

std::unique_ptr<Model> Model::build(const std::string& spec, const InputShape& input, uint64_t seed, int filters) {
    return std::make_unique<SequentialModel>(parse_model_spec(spec, input, filters), input, seed);
}

}  // namespace hposync::engine
