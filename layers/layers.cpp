#include "layers/layers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/ops.h"

namespace hebb::nn {

std::string format_float(float v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

Tensor uniform_parameter(Eigen::Index rows, Eigen::Index cols, float bound, Generator& gen) {
    return Tensor(rand(rows, cols, gen).value().array() * (2.0f * bound) - bound);
}

Linear::Linear(Eigen::Index in_features, Eigen::Index out_features, bool with_bias, Generator& gen) {
    HEBB_CHECK(in_features > 0 && out_features > 0, "Linear: sizes must be positive, got ",
               in_features, " -> ", out_features);
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
    weight = register_parameter("weight", uniform_parameter(out_features, in_features, bound, gen));
    if (with_bias) bias = register_parameter("bias", uniform_parameter(1, out_features, bound, gen), {out_features});
}

Tensor Linear::forward(const Tensor& x) {
    input_ = x;
    return linear(x, weight, bias);
}

Tensor Linear::forward_relu(const Tensor& x) {
    input_ = x;
    return linear_relu(x, weight, bias);
}

std::string Linear::extra_repr() const {
    return "in_features=" + std::to_string(weight.cols()) +
           ", out_features=" + std::to_string(weight.rows()) +
           ", bias=" + (bias.defined() ? "True" : "False");
}

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
    for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
    register_module(std::to_string(size()), std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
    Tensor y = x;
    const auto& layers = children();
    for (size_t i = 0; i < layers.size(); ++i) {
        auto* linear = dynamic_cast<Linear*>(layers[i].second.get());
        if (linear && i + 1 < layers.size() && dynamic_cast<const ReLU*>(layers[i + 1].second.get())) {
            y = linear->forward_relu(y);  // the ReLU is the product's epilogue
            ++i;
        } else {
            y = layers[i].second->forward(y);
        }
    }
    return y;
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope_); }
std::string LeakyReLU::extra_repr() const { return "negative_slope=" + format_float(negative_slope_); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }

Dropout::Dropout(float p, Generator& gen) : p_(p), gen_(&gen) {
    HEBB_CHECK(p >= 0.0f && p < 1.0f, "Dropout: p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
    if (!is_training() || p_ == 0.0f) return x;
    HEBB_CHECK(total_ == 0 || first_ + x.rows() <= total_, "Dropout: rows ", first_, " to ", first_ + x.rows(),
               " of a batch of ", total_);
    const float keep_scale = 1.0f / (1.0f - p_);
    Matrix mask(x.rows(), x.cols());
    const auto skip_rows = [&](Eigen::Index rows) { gen_->discard(static_cast<std::uint64_t>(rows * x.cols())); };
    if (total_) skip_rows(first_);
    for (Eigen::Index i = 0; i < mask.size(); ++i)
        mask.data()[i] = gen_->uniform() < p_ ? 0.0f : keep_scale;
    if (total_) skip_rows(total_ - first_ - x.rows());
    return mul(x, Tensor(std::move(mask)));
}

void set_dropout_shard(Module& model, Eigen::Index first, Eigen::Index total) {
    if (auto* dropout = dynamic_cast<Dropout*>(&model)) dropout->set_shard(first, total);
    for (const auto& [name, child] : model.children()) set_dropout_shard(*child, first, total);
}

std::string Dropout::extra_repr() const { return "p=" + format_float(p_) + ", inplace=False"; }

void append_linear_layers(const Module& model, std::vector<const Linear*>& out) {
    if (auto* linear = dynamic_cast<const Linear*>(&model)) out.push_back(linear);
    for (const auto& [name, child] : model.children()) append_linear_layers(*child, out);
}

std::vector<const Linear*> linear_layers(const Module& model) {
    std::vector<const Linear*> out;
    append_linear_layers(model, out);
    return out;
}

namespace {
// The indices of a comma list ("0,2"), ascending; throws unless each item is a decimal index and
// none comes twice.
std::vector<size_t> parse_layer_indices(const std::string& spec) {
    std::vector<size_t> out;
    size_t start = 0;
    do {
        const size_t comma = std::min(spec.find(',', start), spec.size());
        const std::string item = spec.substr(start, comma - start);
        size_t index = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
        HEBB_CHECK(!item.empty() && ec == std::errc() && end == item.data() + item.size(), "layers '", spec, "': '",
                   item, "' is not a Linear index; use hidden, all or a comma list of indices such as 1,2");
        HEBB_CHECK(std::find(out.begin(), out.end(), index) == out.end(), "layers '", spec, "': Linear ", index,
                   " is named twice");
        out.push_back(index);
        start = comma + 1;
    } while (start <= spec.size());
    std::sort(out.begin(), out.end());
    return out;
}

std::string linear_count(size_t count) { return std::to_string(count) + (count == 1 ? " Linear layer" : " Linear layers"); }
}  // namespace

std::vector<size_t> select_linear_layers(const std::string& spec, const Module& model) {
    const size_t count = linear_layers(model).size();
    const Module* first = &model;  // the first layer the data meets
    while (!first->children().empty()) first = first->children().front().second.get();
    const bool reads_data = dynamic_cast<const Linear*>(first) != nullptr;
    std::vector<size_t> out;
    if (spec == "hidden" || spec == "all") {
        for (size_t l = spec == "all" || !reads_data ? 0 : 1; l < count; ++l) out.push_back(l);
    } else {
        out = parse_layer_indices(spec);
        HEBB_CHECK(out.back() < count, "layers '", spec, "': Linear ", out.back(), " is out of range; the model has ",
                   linear_count(count), ", counted from 0");
    }
    HEBB_CHECK(!out.empty(), "layers '", spec, "' selects no layer of a model with ", linear_count(count));
    return out;
}

void check_linear_layer_spec(const std::string& spec) {
    if (spec != "hidden" && spec != "all") parse_layer_indices(spec);
}

std::shared_ptr<Module> make_activation(const std::string& name) {
    if (name == "relu") return std::make_shared<ReLU>();
    if (name == "leaky_relu") return std::make_shared<LeakyReLU>();
    if (name == "tanh") return std::make_shared<Tanh>();
    if (name == "sigmoid") return std::make_shared<Sigmoid>();
    if (name == "gelu") return std::make_shared<GELU>();
    fail("activation '", name, "' is unknown; use relu, leaky_relu, tanh, sigmoid or gelu");
}

}  // namespace hebb::nn
