#include "layers/loss.h"

#include "core/ops.h"

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

}  // namespace hebb::nn
