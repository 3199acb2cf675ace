// Regularizers: a term computed from a model on the same tape as the task loss, so that
// loss = ce(net(x), y) + reg(net) and one backward() covers both.
#pragma once

#include <memory>
#include <string>

#include "layers/module.h"

namespace hebb::reg {

class Regularizer {
public:
    virtual ~Regularizer() = default;
    virtual Tensor operator()(const nn::Module& model) const = 0;  // 1x1
};

// alpha * sum |W| over the weights of every Linear layer (biases are never regularized).
class L1 : public Regularizer {
public:
    explicit L1(float alpha) : alpha_(alpha) {}
    Tensor operator()(const nn::Module& model) const override;

private:
    float alpha_;
};

// alpha * sum W^2 over the weights of every Linear layer (biases are never regularized).
class L2 : public Regularizer {
public:
    explicit L2(float alpha) : alpha_(alpha) {}
    Tensor operator()(const nn::Module& model) const override;

private:
    float alpha_;
};

// A regularizer by name: "none" (nullptr), "l1", "l2", "bean1" or "bean2" (gamma and layers are
// BEAN's).
std::unique_ptr<Regularizer> make_regularizer(const std::string& name, float alpha, float gamma = 1.0f,
                                              const std::string& layers = "hidden");

}  // namespace hebb::reg
