#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace hebb::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr)
    : params_(std::move(params)), state_(params_.size()), lr_(lr) {
    HEBB_CHECK(lr > 0.0 && std::isfinite(lr), "optimizer: lr must be positive, got ", lr);
    for (size_t i = 0; i < params_.size(); ++i)
        HEBB_CHECK(params_[i].defined() && params_[i].requires_grad(), "optimizer: parameter ", i,
                   " does not require grad");
}

void Optimizer::zero_grad() {
    for (Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
    HEBB_CHECK(lr >= 0.0 && std::isfinite(lr), "optimizer: lr must be >= 0, got ", lr);
    lr_ = lr;
}

void Optimizer::step() {
    ++steps_;
    for (size_t i = 0; i < params_.size(); ++i)
        if (params_[i].grad().size()) update(i, params_[i].value(), params_[i].grad(), steps_);
}

Matrix& Optimizer::buffer(size_t index, const std::string& name) {
    auto [it, added] = state_[index].try_emplace(name);
    if (added) {
        const Matrix& p = params_[index].value();
        it->second = Matrix::Zero(p.rows(), p.cols());
    }
    return it->second;
}

bool Optimizer::has_buffer(size_t index, const std::string& name) const {
    return state_[index].count(name) > 0;
}

StateDict Optimizer::state_dict() const {
    StateDict out{{"step", Matrix::Constant(1, 1, static_cast<float>(steps_)), 0}};
    for (size_t i = 0; i < state_.size(); ++i)
        for (const auto& [name, m] : state_[i])
            out.push_back({"state." + std::to_string(i) + "." + name, m});
    return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
    std::vector<std::map<std::string, Matrix>> loaded(params_.size());
    const NamedArray* step = nullptr;
    for (const NamedArray& a : state) {
        if (a.name == "step") step = &a;
        else {
            // "state.<index>.<buffer>"
            const auto dot = a.name.find('.', 6);
            size_t index = params_.size();
            if (a.name.starts_with("state.") && dot != std::string::npos) {
                try {
                    index = std::stoul(a.name.substr(6, dot - 6));
                } catch (const std::exception&) {
                }
            }
            HEBB_CHECK(index < params_.size(), "optimizer load_state_dict: unexpected key '",
                       a.name, "' for ", params_.size(), " parameters");
            const Matrix& p = params_[index].value();
            HEBB_CHECK(a.value.rows() == p.rows() && a.value.cols() == p.cols(),
                       "optimizer load_state_dict: '", a.name, "' is ", shape_str(a.value),
                       " but parameter ", index, " is ", shape_str(p));
            loaded[index][a.name.substr(dot + 1)] = a.value;
        }
    }
    HEBB_CHECK(step && step->value.size() == 1, "optimizer load_state_dict: needs a 1x1 'step'");
    // A float holds every whole number below 2^24 exactly: enough steps for any run here.
    steps_ = static_cast<std::int64_t>(step->value(0, 0));
    state_ = std::move(loaded);
}

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    HEBB_CHECK(o.momentum >= 0.0 && o.weight_decay >= 0.0, "SGD: momentum and weight_decay must be >= 0");
    HEBB_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
               "SGD: nesterov needs momentum > 0 and dampening 0");
}

// Each update is one pass over the parameter's entries, reading and writing every array once.
void SGD::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float lr = static_cast<float>(this->lr()), wd = static_cast<float>(o_.weight_decay);
    const float momentum = static_cast<float>(o_.momentum), keep = static_cast<float>(1.0 - o_.dampening);
    const bool first = !has_buffer(index, "momentum_buffer");
    float* b = o_.momentum != 0.0 ? buffer(index, "momentum_buffer").data() : nullptr;
    float* p = param.data();
    const float* g = grad.data();
    for (Eigen::Index i = 0; i < param.size(); ++i) {
        float d = g[i] + wd * p[i];
        if (b) {
            b[i] = first ? d : momentum * b[i] + keep * d;
            d = o_.nesterov ? d + momentum * b[i] : b[i];
        }
        p[i] -= lr * d;
    }
}

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, false) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params), o.lr),
      o_(o),
      weight_decay_(o.weight_decay.value_or(decoupled ? 1e-2 : 0.0)),
      decoupled_(decoupled) {
    HEBB_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0 && o.beta2 >= 0.0 && o.beta2 < 1.0,
               "Adam: betas must be in [0, 1), got (", o.beta1, ", ", o.beta2, ")");
    HEBB_CHECK(o.eps >= 0.0 && weight_decay_ >= 0.0, "Adam: eps and weight_decay must be >= 0");
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, true) {}

void Adam::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) {
    const float b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2);
    const float eps = static_cast<float>(o_.eps);
    const float decay = decoupled_ ? static_cast<float>(1.0 - lr() * weight_decay_) : 1.0f;
    const float wd = decoupled_ ? 0.0f : static_cast<float>(weight_decay_);
    const float step_size = static_cast<float>(lr() / (1.0 - std::pow(o_.beta1, static_cast<double>(t))));
    const float correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(o_.beta2, static_cast<double>(t))));
    float* m = buffer(index, "exp_avg").data();
    float* v = buffer(index, "exp_avg_sq").data();
    float* vmax = o_.amsgrad ? buffer(index, "max_exp_avg_sq").data() : nullptr;
    float* p = param.data();
    const float* g = grad.data();
    for (Eigen::Index i = 0; i < param.size(); ++i) {
        const float d = g[i] + wd * p[i];
        p[i] *= decay;
        m[i] = b1 * m[i] + (1.0f - b1) * d;
        v[i] = b2 * v[i] + (1.0f - b2) * d * d;
        float second = v[i];
        if (vmax) second = vmax[i] = std::max(vmax[i], v[i]);
        p[i] -= step_size * m[i] / (std::sqrt(second) / correction2 + eps);
    }
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    HEBB_CHECK(o.alpha >= 0.0 && o.eps >= 0.0 && o.momentum >= 0.0 && o.weight_decay >= 0.0,
               "RMSprop: alpha, eps, momentum and weight_decay must be >= 0");
}

void RMSprop::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float alpha = static_cast<float>(o_.alpha), eps = static_cast<float>(o_.eps);
    const float lr = static_cast<float>(this->lr()), wd = static_cast<float>(o_.weight_decay);
    const float momentum = static_cast<float>(o_.momentum);
    float* v = buffer(index, "square_avg").data();
    float* mean_g = o_.centered ? buffer(index, "grad_avg").data() : nullptr;
    float* b = o_.momentum > 0.0 ? buffer(index, "momentum_buffer").data() : nullptr;
    float* p = param.data();
    const float* g = grad.data();
    for (Eigen::Index i = 0; i < param.size(); ++i) {
        const float d = g[i] + wd * p[i];
        v[i] = alpha * v[i] + (1.0f - alpha) * d * d;
        float avg = v[i];
        if (mean_g) {
            mean_g[i] = alpha * mean_g[i] + (1.0f - alpha) * d;
            avg -= mean_g[i] * mean_g[i];
        }
        avg = std::sqrt(avg) + eps;
        if (b) {
            b[i] = momentum * b[i] + d / avg;
            p[i] -= lr * b[i];
        } else {
            p[i] -= lr * d / avg;
        }
    }
}

}  // namespace hebb::optim
