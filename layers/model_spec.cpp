#include "layers/model_spec.h"

#include <charconv>
#include <regex>

#include "io/file.h"
#include "layers/mlp.h"

namespace hebb::nn {

namespace {

constexpr long long max_features = 1 << 20;  // channels of an image, features of a layer
constexpr long long max_side = 1 << 16;      // an image side, a kernel, a stride, a padding

const char* const layer_grammar =
    "use conv<OUT>k<K>[s<S>][p<P>], maxpool<K>[s<S>], avgpool<K>[s<S>], relu, leaky_relu, tanh, sigmoid, gelu, "
    "dropout<P>, flatten or linear<N>";

// A layer token read: its kind and the numbers that kind takes.
struct LayerSpec {
    std::string kind;  // conv, maxpool, avgpool, linear, dropout, flatten or an activation's name
    long long size = 0, kernel = 0, stride = 0, padding = 0;  // size: conv's OUT, linear's N
    float p = 0.0f;
};

// The decimal `digits` (a regex group of \d+) as a number in [low, high]; `at` and `what` name it in errors.
long long number(const std::string& digits, long long low, long long high, const std::string& at, const char* what) {
    long long v = 0;
    const auto ec = std::from_chars(digits.data(), digits.data() + digits.size(), v).ec;
    HEBB_CHECK(ec == std::errc() && v >= low && v <= high, at, ": ", what, " ", digits, " must be a whole number from ",
               low, " to ", high);
    return v;
}

// Dropout's probability `digits` ("0.5", ".25"), which must be in [0, 1).
float probability(const std::string& digits, const std::string& at) {
    float p = 0.0f;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
    HEBB_CHECK(ec == std::errc() && end == digits.data() + digits.size() && p < 1.0f, at, ": dropout ", digits,
               " must be in [0, 1)");
    return p;
}

// `digits` when a regex group matched it, else `absent` (a default the number stands for).
long long optional_number(const std::ssub_match& digits, long long absent, long long low, const std::string& at,
                          const char* what) {
    return digits.matched ? number(digits.str(), low, max_side, at, what) : absent;
}

// One token of a conv spec's layers, its numbers checked; `at` names it ("spec '...': token 3 'relu'").
LayerSpec parse_layer(const std::string& token, const std::string& at) {
    static const std::regex conv(R"(conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?)");
    static const std::regex pool(R"((max|avg)pool(\d+)(?:s(\d+))?)");
    static const std::regex linear(R"(linear(\d+))");
    static const std::regex dropout(R"(dropout(\d*\.?\d+))");
    static const std::regex plain("relu|leaky_relu|tanh|sigmoid|gelu|flatten");
    std::smatch m;
    LayerSpec l;
    if (std::regex_match(token, m, conv)) {
        l = {"conv", number(m[1], 1, max_features, at, "OUT channels"), number(m[2], 1, max_side, at, "kernel size")};
        l.stride = optional_number(m[3], 1, 1, at, "stride");
        l.padding = optional_number(m[4], 0, 0, at, "padding");
    } else if (std::regex_match(token, m, pool)) {
        l = {m[1].str() + "pool", 0, number(m[2], 1, max_side, at, "kernel size")};
        l.stride = optional_number(m[3], l.kernel, 1, at, "stride");
    } else if (std::regex_match(token, m, linear)) {
        l = {"linear", number(m[1], 1, max_features, at, "N features")};
    } else if (std::regex_match(token, m, dropout)) {
        l = {"dropout"};
        l.p = probability(m[1], at);
    } else {
        HEBB_CHECK(std::regex_match(token, plain), at, " is not a layer; ", layer_grammar);
        l = {token};
    }
    return l;
}

// The weights and biases of `l` on inputs of shape `in`, a double so that absurd sizes cannot overflow.
double parameter_count(const LayerSpec& l, ImageShape in) {
    if (l.kind == "conv") return double(l.size) * (double(in.channels) * double(l.kernel * l.kernel) + 1.0);
    if (l.kind == "linear") return double(l.size) * (double(in.size()) + 1.0);
    return 0.0;
}

// The module for `l` on inputs of shape `in`. A linear layer takes all of the input's values: on images
// (no flatten before it) set_input_shape then refuses it, saying to put a Flatten first.
std::shared_ptr<Module> make_layer(const LayerSpec& l, ImageShape in, Generator& gen) {
    const auto k = static_cast<int>(l.kernel), s = static_cast<int>(l.stride);
    if (l.kind == "conv")
        return std::make_shared<Conv2d>(in.channels, l.size, k, s, static_cast<int>(l.padding), true, gen);
    if (l.kind == "maxpool") return std::make_shared<MaxPool2d>(k, s);
    if (l.kind == "avgpool") return std::make_shared<AvgPool2d>(k, s);
    if (l.kind == "linear") return std::make_shared<Linear>(in.size(), l.size, true, gen);
    if (l.kind == "dropout") return std::make_shared<Dropout>(l.p, gen);
    if (l.kind == "flatten") return std::make_shared<Flatten>();
    return make_activation(l.kind);
}

// "1x28x28" -> its shape, each number in range.
ImageShape parse_shape(const std::string& text, const std::string& at) {
    static const std::regex shape(R"((\d+)x(\d+)x(\d+))");
    std::smatch m;
    HEBB_CHECK(std::regex_match(text, m, shape), at, ": input '", text,
               "' is not C x H x W images; write it as 1x28x28 or 3x32x32");
    return {number(m[1], 1, max_features, at, "input channels"), number(m[2], 1, max_side, at, "input height"),
            number(m[3], 1, max_side, at, "input width")};
}

// "C x H x W:layer,layer,...": each layer is built for the output of those before it. After each one the
// net so far is walked by nn::set_input_shape, which tells every image layer its geometry and names the
// layer (by key) and the shapes where one does not fit.
Model build_conv_net(const std::string& spec, Generator& gen, double max_parameters) {
    const std::string at = "spec '" + spec + "'";
    const ConvSpec parts = split_conv_spec(spec);
    Model model{std::make_shared<Sequential>(), parse_shape(parts.input, at), {}};
    model.output = model.input;
    double parameters = 0.0;
    for (size_t index = 1; index <= parts.layers.size(); ++index) {
        const std::string& token = parts.layers[index - 1];
        const std::string at_token = at + ": token " + std::to_string(index) + " '" + token + "'";
        const LayerSpec layer = parse_layer(token, at_token);
        parameters += parameter_count(layer, model.output);
        check_memory(at_token + ": the weights of tokens 1 to " + std::to_string(index), 4.0 * parameters);
        HEBB_CHECK(parameters <= max_parameters, at_token, " brings the weights and biases to ", parameters,
                   "; at most ", max_parameters, " fit");
        model.net->push_back(make_layer(layer, model.output, gen));
        try {
            model.output = set_input_shape(*model.net, model.input);
        } catch (const Error& e) {
            fail(at_token, ": ", e.what());
        }
    }
    return model;
}

}  // namespace

bool is_mlp_spec(const std::string& spec) {
    return spec.find('-') != std::string::npos && spec.find(':') == std::string::npos;
}

ConvSpec split_conv_spec(const std::string& arch) {
    const std::string spec = arch == "lenet5" ? lenet5_spec : arch;
    const size_t colon = spec.find(':');
    HEBB_CHECK(colon != std::string::npos, "spec '", arch, "' is not a model; use an MLP such as 784-256-10, lenet5, ",
               "or C x H x W:layers such as 1x28x28:conv6k5-relu-maxpool2-flatten-linear10");
    ConvSpec parts{spec.substr(0, colon), {}};
    for (size_t begin = colon + 1; begin <= spec.size();) {
        const size_t end = std::min(spec.find('-', begin), spec.size());
        parts.layers.push_back(spec.substr(begin, end - begin));
        begin = end + 1;
    }
    return parts;
}

std::string ConvSpec::str() const {
    std::string out = input + ":";
    for (size_t i = 0; i < layers.size(); ++i) out += (i ? "-" : "") + layers[i];
    return out;
}

ModelSpec with_dropout(const ModelSpec& spec, float p) {
    if (is_mlp_spec(spec.arch)) return {spec.arch, spec.activation, p};
    ConvSpec parts = split_conv_spec(spec.arch);
    const std::string dropout = "dropout" + format_float(p);
    bool dense = false;
    for (size_t i = 0; i < parts.layers.size(); ++i) {
        const std::string kind = parse_layer(parts.layers[i], "spec '" + spec.arch + "': token " + std::to_string(i + 1)).kind;
        dense = dense || kind == "linear";
        const bool activation = kind != "conv" && kind != "maxpool" && kind != "avgpool" && kind != "linear" &&
                                kind != "dropout" && kind != "flatten";
        if (dense && activation) parts.layers.insert(parts.layers.begin() + static_cast<std::ptrdiff_t>(++i), dropout);
    }
    return {parts.str()};
}

ModelSpec model_spec(const MlpSpec& mlp) { return {mlp.arch(), mlp.activation, mlp.dropout}; }

Model build_model(const ModelSpec& spec, Generator& gen, double max_parameters) {
    if (is_mlp_spec(spec.arch)) {
        const MlpSpec mlp_spec{parse_arch(spec.arch), spec.activation, spec.dropout};
        for (const auto size : mlp_spec.sizes)
            HEBB_CHECK(size <= max_features, "spec '", spec.arch, "': size ", size, " must be at most ", max_features);
        HEBB_CHECK(mlp_spec.parameter_count() <= max_parameters, "spec '", spec.arch, "' needs ",
                   mlp_spec.parameter_count(), " weights and biases; at most ", max_parameters, " fit");
        const auto& sizes = mlp_spec.sizes;
        return {mlp(mlp_spec, gen), {sizes.front(), 1, 1}, {sizes.back(), 1, 1}};
    }
    HEBB_CHECK(spec.activation == "relu" && spec.dropout == 0.0f, "spec '", spec.arch, "': a conv net names its ",
               "activations and dropout among its layers (relu, dropout0.5, ...); leave activation '", spec.activation,
               "' and dropout ", spec.dropout, " at relu and 0");
    return build_conv_net(spec.arch == "lenet5" ? lenet5_spec : spec.arch, gen, max_parameters);
}

}  // namespace hebb::nn
