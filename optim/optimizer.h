// Optimizers with PyTorch's defaults and update formulas. State is kept per parameter position,
// and the step counter advances once per step() for all parameters together.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "core/tensor.h"

namespace hebb::optim {

class Optimizer {
public:
    Optimizer(std::vector<Tensor> params, double lr);
    virtual ~Optimizer() = default;

    void zero_grad();
    void step();  // updates every parameter that has a gradient
    double lr() const { return lr_; }
    void set_lr(double lr);
    std::int64_t steps() const { return steps_; }

    // "step" and every buffer as "state.<param index>.<buffer>", e.g. "state.0.exp_avg". The lr
    // is not state: it comes from the run's settings and its schedule.
    StateDict state_dict() const;
    // Restores a state_dict of the same optimizer over the same parameters, or throws.
    void load_state_dict(const StateDict& state);

protected:
    // One parameter's update. t is the step number, starting at 1.
    virtual void update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) = 0;
    // A buffer of parameter `index`, created as zeros on first use.
    Matrix& buffer(size_t index, const std::string& name);
    bool has_buffer(size_t index, const std::string& name) const;

private:
    std::vector<Tensor> params_;
    std::vector<std::map<std::string, Matrix>> state_;
    double lr_;
    std::int64_t steps_ = 0;
};

struct SGDOptions {
    double lr = 0.0;  // no default, as in PyTorch: it must be given
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
};

// g = grad + wd p; b = g on the first step, then b = momentum b + (1 - dampening) g;
// g = g + momentum b (Nesterov) or b; p -= lr g
class SGD : public Optimizer {
public:
    SGD(std::vector<Tensor> params, SGDOptions options);

private:
    void update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) override;
    SGDOptions o_;
};

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    std::optional<double> weight_decay{};  // 0 for Adam, 1e-2 for AdamW when not given
    bool amsgrad = false;
};

// g = grad + wd p (Adam) or p *= 1 - lr wd (AdamW); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with v its running max if amsgrad
class Adam : public Optimizer {
public:
    Adam(std::vector<Tensor> params, AdamOptions options = {});

protected:
    Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled);

private:
    void update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) override;
    AdamOptions o_;
    double weight_decay_;
    bool decoupled_;
};

class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> params, AdamOptions options = {});
};

struct RMSpropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum = 0.0;
    bool centered = false;
};

// g = grad + wd p; v = alpha v + (1 - alpha) g^2; d = sqrt(v - mean_g^2 if centered) + eps;
// b = momentum b + g / d, p -= lr b (with momentum) or p -= lr g / d
class RMSprop : public Optimizer {
public:
    RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});

private:
    void update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) override;
    RMSpropOptions o_;
};

}  // namespace hebb::optim
