#include "regularizers/regularizer.h"

#include "core/ops.h"
#include "regularizers/bean.h"
#include "layers/layers.h"

namespace hebb::reg {

namespace {
// alpha * the sum of penalty(W) over every Linear layer's weight.
template <class Penalty>
Tensor sum_over_weights(const nn::Module& model, float alpha, Penalty penalty) {
    Tensor total = Tensor::scalar(0.0f);
    for (const nn::Linear* layer : nn::linear_layers(model)) total = total + sum(penalty(layer->weight));
    return total * alpha;
}
}  // namespace

Tensor L1::operator()(const nn::Module& model) const {
    return sum_over_weights(model, alpha_, [](const Tensor& w) { return abs(w); });
}

Tensor L2::operator()(const nn::Module& model) const {
    return sum_over_weights(model, alpha_, [](const Tensor& w) { return square(w); });
}

std::unique_ptr<Regularizer> make_regularizer(const std::string& name, float alpha, float gamma,
                                              const std::string& layers) {
    HEBB_CHECK(alpha >= 0.0f, "regularizer: alpha must be >= 0, got ", alpha);
    if (name == "none") return nullptr;
    if (name == "l1") return std::make_unique<L1>(alpha);
    if (name == "l2") return std::make_unique<L2>(alpha);
    if (name == "bean1") return std::make_unique<BEAN>(alpha, 1, gamma, layers);
    if (name == "bean2") return std::make_unique<BEAN>(alpha, 2, gamma, layers);
    fail("regularizer '", name, "' is unknown; use none, l1, l2, bean1 or bean2");
}

}  // namespace hebb::reg
