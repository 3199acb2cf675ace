// Loss functions as objects, with PyTorch's names and mean reduction.
#pragma once

#include <span>

#include "core/tensor.h"

namespace hebb::nn {

// logits (B x C), labels B class indices -> 1x1 mean cross-entropy (optionally label-smoothed).
struct CrossEntropyLoss {
    float label_smoothing = 0.0f;
    Tensor operator()(const Tensor& logits, std::span<const int> labels) const;
};

// log_probs (B x C), labels B class indices -> 1x1 mean negative log-likelihood.
struct NLLLoss {
    Tensor operator()(const Tensor& log_probs, std::span<const int> labels) const;
};

// prediction and target of one shape -> 1x1 mean squared error.
struct MSELoss {
    Tensor operator()(const Tensor& prediction, const Tensor& target) const;
};

}  // namespace hebb::nn
