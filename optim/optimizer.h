// Optimizers with PyTorch's defaults and update formulas. State is typed per parameter (like
// PyTorch's AdamParamState) and kept by parameter position; each parameter counts its own steps, as
// PyTorch's state['step'] does, so a step() that finds it without a gradient leaves its count alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/state_dict.h"
#include "core/tensor.h"

namespace hebb::optim {

// What an optimizer keeps to resume exactly: per parameter (by position), once it has been updated,
// its "step" (the updates it has had, 1x1 of disk shape ()) and the buffers it has created so far by
// their PyTorch names ("exp_avg", "momentum_buffer", ...).
struct OptimizerState {
    std::vector<StateDict> params;
};

class Optimizer {
public:
    Optimizer(std::vector<Tensor> params, double lr);
    virtual ~Optimizer() = default;

    void zero_grad();
    // Updates every parameter that has a gradient, and counts a step for it. A gradient that is not
    // finite throws an Error naming the parameter; it is found in the update's own pass over the
    // gradient (so costs no extra trip through memory), and leaves the parameters updated before it
    // changed.
    void step();
    double lr() const { return lr_; }
    void set_lr(double lr);

    // The lr is not state: it comes from the run's settings and its schedule.
    OptimizerState state_dict() const;
    // Restores the state of the same optimizer over the same parameters, or throws.
    void load_state_dict(const OptimizerState& state);

protected:
    const std::vector<Tensor>& params() const { return params_; }
    // One parameter's update. t is its step number, starting at 1. Returns false, and leaves the
    // rest of the parameter as it was, on reaching an entry of grad that is not finite.
    virtual bool update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) = 0;
    // Parameter `index`'s buffers by name, for saving and loading; an empty one is not created yet.
    virtual std::vector<std::pair<const char*, Matrix*>> buffers(size_t index) = 0;

private:
    std::vector<Tensor> params_;
    double lr_;
    std::vector<std::int64_t> steps_;  // per parameter
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
struct SGDParamState {
    Matrix momentum_buffer;  // empty until the first step with momentum
};

class SGD : public Optimizer {
public:
    SGD(std::vector<Tensor> params, SGDOptions options);

private:
    bool update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) override;
    std::vector<std::pair<const char*, Matrix*>> buffers(size_t index) override;
    SGDOptions o_;
    std::vector<SGDParamState> state_;
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
struct AdamParamState {
    Matrix exp_avg, exp_avg_sq, max_exp_avg_sq;  // the last only with amsgrad; empty until used
};

class Adam : public Optimizer {
public:
    Adam(std::vector<Tensor> params, AdamOptions options = {});

protected:
    Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled);

private:
    bool update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) override;
    std::vector<std::pair<const char*, Matrix*>> buffers(size_t index) override;
    AdamOptions o_;
    std::vector<AdamParamState> state_;
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
struct RMSpropParamState {
    Matrix square_avg, momentum_buffer, grad_avg;  // the last two with momentum and centered only
};

class RMSprop : public Optimizer {
public:
    RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});

private:
    bool update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) override;
    std::vector<std::pair<const char*, Matrix*>> buffers(size_t index) override;
    RMSpropOptions o_;
    std::vector<RMSpropParamState> state_;
};

}  // namespace hebb::optim
