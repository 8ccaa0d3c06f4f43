#include "hposync/engine/model_spec.hpp"

#include <cctype>
#include <cmath>

#include "hposync/common/error.hpp"

namespace hposync::engine {

const char* layer_kind_name(LayerKind kind) {
    switch (kind) {
        case LayerKind::Dense: return "dense";
        case LayerKind::Conv: return "conv";
        case LayerKind::MaxPool: return "maxpool";
        case LayerKind::BatchNorm: return "batchnorm";
        case LayerKind::ReLU: return "relu";
        case LayerKind::Dropout: return "dropout";
        case LayerKind::Flatten: return "flatten";
    }
    return "?";
}

namespace {

const char* kVgg16 =
    "conv64x3-bn-conv64x3-bn-pool2-"
    "conv128x3-bn-conv128x3-bn-pool2-"
    "conv256x3-bn-conv256x3-bn-conv256x3-bn-pool2-"
    "conv512x3-bn-conv512x3-bn-conv512x3-bn-pool2-"
    "conv512x3-bn-conv512x3-bn-conv512x3-bn-pool2-"
    "fc512-drop0.5-fc512-drop0.5";

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t end = s.find(sep, start);
        parts.push_back(s.substr(start, end - start));
        if (end == std::string::npos) return parts;
        start = end + 1;
    }
}

// Builds the layer list token by token, tracking the shape of one example.
class Parser {
public:
    Parser(const std::string& spec, const InputShape& in) : spec_(spec), c_(in.c), h_(in.h), w_(in.w) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError("model spec '" + spec_ + "': " + what);
    }

    // Reads decimal digits at s[pos...]; fails naming `token` if there are none.
    int64_t number(const std::string& s, size_t& pos, const std::string& token) const {
        const size_t start = pos;
        int64_t v = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
            v = v * 10 + (s[pos] - '0');
            if (v > 1'000'000'000) fail("number too large in token '" + token + "'");
            ++pos;
        }
        if (pos == start) fail("expected a number in token '" + token + "'");
        return v;
    }

    void in_range(int64_t v, int64_t lo, int64_t hi, const std::string& what, const std::string& token) const {
        if (v < lo || v > hi)
            fail(what + " " + std::to_string(v) + " in token '" + token + "' out of range " + std::to_string(lo) +
                 ".." + std::to_string(hi));
    }

    void conv(const std::string& t) {
        size_t pos = 4;  // after "conv"
        const int64_t filters = number(t, pos, t);
        if (pos >= t.size() || t[pos] != 'x') fail("token '" + t + "': expected convNxK, e.g. conv16x3");
        ++pos;
        const int64_t k = number(t, pos, t);
        int64_t stride = 1, pad = k / 2;
        if (pos < t.size() && t[pos] == 's') stride = number(t, ++pos, t);
        if (pos < t.size() && t[pos] == 'p') pad = number(t, ++pos, t);
        if (pos != t.size()) fail("token '" + t + "': unexpected '" + t.substr(pos) + "' (expected convNxK[sS][pP])");
        in_range(filters, 1, kMaxUnits, "filters", t);
        in_range(k, 1, kMaxKernel, "kernel", t);
        in_range(stride, 1, kMaxKernel, "stride", t);
        in_range(pad, 0, k - 1, "padding", t);
        if (flattened_) fail("token '" + t + "': conv after fc (the data is already flat)");
        LayerSpec l = start(LayerKind::Conv, t);
        l.units = filters, l.kernel = int(k), l.stride = int(stride), l.pad = int(pad);
        l.fused_relu = l.he_init = true;
        c_ = filters;
        // Output size floor((in + 2p - k) / s) + 1, or 0 when the kernel does not fit
        // (checked in finish(), which names this token).
        auto out_size = [&](int64_t in) { return in + 2 * pad >= k ? (in + 2 * pad - k) / stride + 1 : 0; };
        h_ = out_size(h_), w_ = out_size(w_);
        l.param_count = filters * l.in_c * k * k + filters;
        finish(l);
    }

    void pool(const std::string& t) {
        size_t pos = 4;  // after "pool"
        const int64_t k = number(t, pos, t);
        if (pos != t.size()) fail("token '" + t + "': expected poolK, e.g. pool2");
        in_range(k, 1, kMaxKernel, "pool size", t);
        if (flattened_) fail("token '" + t + "': pool after fc (the data is already flat)");
        LayerSpec l = start(LayerKind::MaxPool, t);
        l.kernel = l.stride = int(k);
        h_ = h_ >= k ? (h_ - k) / k + 1 : 0;
        w_ = w_ >= k ? (w_ - k) / k + 1 : 0;
        finish(l);
    }

    void dense(int64_t units, const std::string& t, bool relu) {
        in_range(units, 1, kMaxUnits, "units", t);
        if (!flattened_) {
            LayerSpec f = start(LayerKind::Flatten, "");
            c_ = c_ * h_ * w_, h_ = w_ = 1;
            flattened_ = true;
            finish(f);
        }
        LayerSpec l = start(LayerKind::Dense, t);
        l.units = units;
        l.fused_relu = l.he_init = relu;
        l.param_count = units * l.in_c + units;
        c_ = units;
        finish(l);
    }

    void fc(const std::string& t) {
        size_t pos = 2;  // after "fc"
        const int64_t units = number(t, pos, t);
        if (pos != t.size()) fail("token '" + t + "': expected fcN, e.g. fc128");
        dense(units, t, true);
    }

    // bn: normalise the output of the previous conv/fc before its ReLU, so that layer's
    // fused ReLU becomes a separate ReLU layer after the BN.
    void bn(const std::string& t) {
        if (layers_.empty() || !layers_.back().fused_relu ||
            (layers_.back().kind != LayerKind::Conv && layers_.back().kind != LayerKind::Dense))
            fail("token 'bn' must directly follow a conv or fc token");
        layers_.back().fused_relu = false;
        LayerSpec b = start(LayerKind::BatchNorm, t);
        b.param_count = 2 * c_;
        finish(b);
        finish(start(LayerKind::ReLU, ""));
    }

    void drop(const std::string& t) {
        const std::string num = t.substr(4);
        double p = -1;
        try {
            size_t used = 0;
            if (!num.empty() && (std::isdigit(static_cast<unsigned char>(num[0])) || num[0] == '.')) p = std::stod(num, &used);
            if (used != num.size()) p = -1;
        } catch (const std::exception&) {
            p = -1;
        }
        if (!(p >= 0 && p < 1)) fail("token '" + t + "': expected dropP with 0 <= P < 1, e.g. drop0.5");
        LayerSpec l = start(LayerKind::Dropout, t);
        l.drop = p;
        finish(l);
    }

    void token(const std::string& t) {
        auto starts = [&](const char* p) { return t.rfind(p, 0) == 0 && t.size() > std::string(p).size(); };
        if (t.empty()) fail("empty token (two '-' in a row?)");
        if (starts("conv")) return conv(t);
        if (starts("pool")) return pool(t);
        if (starts("fc")) return fc(t);
        if (starts("drop")) return drop(t);
        if (t == "bn") return bn(t);
        fail("unknown token '" + t + "' (expected convNxK, poolK, fcN, bn, dropP)");
    }

    ModelSpec done(int classes) {
        dense(classes, "classes", false);
        ModelSpec m;
        m.text = spec_;
        m.layers = std::move(layers_);
        for (const LayerSpec& l : m.layers) m.param_count += l.param_count;
        if (m.param_count > kMaxParams)
            fail("too many parameters (" + std::to_string(m.param_count) + " > " + std::to_string(kMaxParams) + ")");
        return m;
    }

private:
    LayerSpec start(LayerKind kind, const std::string& token) const {
        LayerSpec l;
        l.kind = kind;
        l.token = token;
        l.in_c = c_, l.in_h = h_, l.in_w = w_;
        return l;
    }

    void finish(LayerSpec& l) {
        if (h_ <= 0 || w_ <= 0)
            fail("spatial size shrinks to 0 at token '" + l.token + "' (input " + std::to_string(l.in_h) + "x" +
                 std::to_string(l.in_w) + ")");
        l.out_c = c_, l.out_h = h_, l.out_w = w_;
        layers_.push_back(l);
    }
    void finish(LayerSpec&& l) { finish(l); }

    std::string spec_;
    int64_t c_, h_, w_;
    bool flattened_ = false;
    std::vector<LayerSpec> layers_;
};

std::string substitute_filters(const std::string& spec, int filters) {
    static const std::string kKey = "{filters}";
    std::string out = spec;
    for (size_t pos; (pos = out.find(kKey)) != std::string::npos;) out.replace(pos, kKey.size(), std::to_string(filters));
    return out;
}

}  // namespace

ModelSpec parse_model_spec(const std::string& raw, const InputShape& input, int filters) {
    if (filters < kMinFilters || filters > kMaxFilters)
        throw ParseError("model spec '" + raw + "': filters " + std::to_string(filters) + " out of range " +
                         std::to_string(kMinFilters) + ".." + std::to_string(kMaxFilters));
    const std::string spec = substitute_filters(raw, filters);
    if (input.c <= 0 || input.h <= 0 || input.w <= 0 || input.classes < 2)
        throw ParseError("model spec '" + spec + "': bad input shape or fewer than 2 classes");
    Parser p(spec, input);
    if (spec == "vgg16") {
        // Refused, not padded: its five pool2 halve 32 to 1; 28x28 (mnist, fashion-mnist)
        // reaches 0 at the fifth. Padding the data to 32x32 would change the data set.
        if (input.h < 32 || input.w < 32)
            p.fail("vgg16 needs inputs of at least 32x32 (cifar10); its five pool2 layers shrink " +
                   std::to_string(input.h) + "x" + std::to_string(input.w) +
                   " to nothing. For 28x28 data (mnist, fashion-mnist) use a cnn: spec, e.g. "
                   "cnn:conv32x3-bn-conv32x3-bn-pool2-conv64x3-bn-conv64x3-bn-pool2-fc256-drop0.5");
        for (const std::string& t : split(kVgg16, '-')) p.token(t);
        return p.done(input.classes);
    }
    const size_t colon = spec.find(':');
    const std::string family = spec.substr(0, colon);
    const std::string body = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (family == "mlp") {
        if (body.empty()) p.fail("expected mlp:<hidden sizes>, e.g. mlp:512-256");
        for (const std::string& t : split(body, '-')) {
            size_t pos = 0;
            if (t.empty()) p.fail("empty hidden size (two '-' in a row?)");
            const int64_t units = p.number(t, pos, t);
            if (pos != t.size()) p.fail("hidden size '" + t + "' is not a number");
            p.dense(units, t, true);
        }
        return p.done(input.classes);
    }
    if (family == "cnn") {
        if (body.empty()) p.fail("expected cnn:<tokens>, e.g. cnn:conv16x3-pool2-fc128");
        for (const std::string& t : split(body, '-')) p.token(t);
        return p.done(input.classes);
    }
    p.fail("unknown model family '" + family + "' (expected mlp:..., cnn:..., vgg16)");
}

}  // namespace hposync::engine
