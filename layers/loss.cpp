#include "layers/loss.h"

#include "core/ops.h"

#include <algorithm>
#include <cmath>

namespace hebb::nn {

Tensor CrossEntropyLoss::operator()(const Tensor& logits, std::span<const int> labels) const {
    return cross_entropy(logits, labels, label_smoothing);
}

Tensor NLLLoss::operator()(const Tensor& log_probs, std::span<const int> labels) const {
    return nll_loss(log_probs, labels);
}

Tensor MSELoss::operator()(const Tensor& prediction, const Tensor& target) const {
    return mse_loss(prediction, target);
}

namespace {
// The gradients of a BCEWithLogitsLoss for an incoming gradient of 1.
struct BCEGradients {
    Pooled input, target;
};
}  // namespace

// With w = 1 + (p - 1) y, each entry's loss is (1 - y) x + w softplus(-x), where softplus(-x) =
// log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|) overflows for no x (for p = 1: max(x, 0) - x y +
// log(1 + e^-|x|)). Over N entries: dx = g ((1 - y) - w sigmoid(-x)) / N, which is g (sigmoid(x) -
// y) / N for p = 1, and dy = g ((p - 1) softplus(-x) - x) / N.
Tensor BCEWithLogitsLoss::operator()(const Tensor& input, const Tensor& target) const {
    HEBB_CHECK(input.rows() == target.rows() && input.cols() == target.cols(),
               "BCEWithLogitsLoss: input ", input.shape(), " and target ", target.shape(), " differ");
    HEBB_CHECK(pos_weight.size() == 0 || (pos_weight.rows() == 1 && pos_weight.cols() == input.cols()),
               "BCEWithLogitsLoss: pos_weight ", shape_str(pos_weight), " does not fit input ", input.shape());
    const Matrix &x = input.value(), &y = target.value();
    const float n = static_cast<float>(x.size());
    BCEGradients d{Pooled(x.rows(), x.cols()), Pooled(x.rows(), x.cols())};
    double loss = 0.0;
    for (Eigen::Index r = 0; r < x.rows(); ++r)
        for (Eigen::Index c = 0; c < x.cols(); ++c) {
            const float p = pos_weight.size() ? pos_weight(0, c) : 1.0f, xi = x(r, c), yi = y(r, c);
            const float softplus = std::max(-xi, 0.0f) + std::log1p(std::exp(-std::abs(xi)));
            const float w = 1.0f + (p - 1.0f) * yi;
            loss += (1.0f - yi) * xi + w * softplus;
            d.input(r, c) = ((1.0f - yi) - w / (1.0f + std::exp(xi))) / n;
            d.target(r, c) = ((p - 1.0f) * softplus - xi) / n;
        }
    Tensor out = make_result(filled(1, 1, static_cast<float>(loss / n)), "binary_cross_entropy_with_logits",
                             {input, target}, [](Node& self) {
                                 const BCEGradients& d = saved<BCEGradients>(self);
                                 const float g = self.grad(0, 0);
                                 accumulate_grad(*self.parents[0], g * d.input.array());
                                 accumulate_grad(*self.parents[1], g * d.target.array());
                             });
    save(out, std::move(d));
    return out;
}

}  // namespace hebb::nn
