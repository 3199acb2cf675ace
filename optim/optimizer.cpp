#include "optim/optimizer.h"

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

// Updates are Eigen array expressions: vectorized, and without temporaries.
void SGD::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float lr = static_cast<float>(this->lr()), momentum = static_cast<float>(o_.momentum);
    auto p = param.array();
    const auto d = grad.array() + static_cast<float>(o_.weight_decay) * p;  // read before p changes
    if (o_.momentum == 0.0) {
        p -= lr * d;
        return;
    }
    const bool first = !has_buffer(index, "momentum_buffer");
    auto b = buffer(index, "momentum_buffer").array();
    if (first) b = d;
    else b = momentum * b + static_cast<float>(1.0 - o_.dampening) * d;
    if (o_.nesterov) p -= lr * (d + momentum * b);
    else p -= lr * b;
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
    auto p = param.array();
    auto m = buffer(index, "exp_avg").array();
    auto v = buffer(index, "exp_avg_sq").array();
    const auto moments = [&](const auto& d) {
        m = b1 * m + (1.0f - b1) * d;
        v = b2 * v + (1.0f - b2) * d.square();
    };
    if (!decoupled_ && weight_decay_ != 0.0) moments(grad.array() + static_cast<float>(weight_decay_) * p);
    else moments(grad.array());
    if (decoupled_) p *= static_cast<float>(1.0 - lr() * weight_decay_);
    const Matrix* second = &buffer(index, "exp_avg_sq");
    if (o_.amsgrad) {
        Matrix& vmax = buffer(index, "max_exp_avg_sq");
        vmax = vmax.cwiseMax(*second);
        second = &vmax;
    }
    const float step_size = static_cast<float>(lr() / (1.0 - std::pow(o_.beta1, static_cast<double>(t))));
    const float correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(o_.beta2, static_cast<double>(t))));
    p -= step_size * m / (second->array().sqrt() / correction2 + static_cast<float>(o_.eps));
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    HEBB_CHECK(o.alpha >= 0.0 && o.eps >= 0.0 && o.momentum >= 0.0 && o.weight_decay >= 0.0,
               "RMSprop: alpha, eps, momentum and weight_decay must be >= 0");
}

void RMSprop::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float alpha = static_cast<float>(o_.alpha), eps = static_cast<float>(o_.eps);
    const float lr = static_cast<float>(this->lr());
    auto p = param.array();
    const auto d = grad.array() + static_cast<float>(o_.weight_decay) * p;  // read before p changes
    auto v = buffer(index, "square_avg").array();
    v = alpha * v + (1.0f - alpha) * d.square();
    // The step divides by avg = sqrt(v - mean^2) + eps (centered) or sqrt(v) + eps.
    const auto apply = [&](const auto& avg) {
        if (o_.momentum > 0.0) {
            auto b = buffer(index, "momentum_buffer").array();
            b = static_cast<float>(o_.momentum) * b + d / avg;
            p -= lr * b;
        } else {
            p -= lr * d / avg;
        }
    };
    if (o_.centered) {
        auto mean_g = buffer(index, "grad_avg").array();
        mean_g = alpha * mean_g + (1.0f - alpha) * d;
        apply((v - mean_g.square()).sqrt() + eps);
    } else {
        apply(v.sqrt() + eps);
    }
}

}  // namespace hebb::optim
