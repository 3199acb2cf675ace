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

Matrix& Optimizer::buffer(size_t index, const std::string& name, const Matrix* init) {
    auto [it, added] = state_[index].try_emplace(name);
    if (added) {
        const Matrix& p = params_[index].value();
        it->second = init ? *init : Matrix::Zero(p.rows(), p.cols());
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

void SGD::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    Matrix g = grad;
    if (o_.weight_decay != 0.0) g += static_cast<float>(o_.weight_decay) * param;
    if (o_.momentum != 0.0) {
        const float momentum = static_cast<float>(o_.momentum);
        const bool first = !has_buffer(index, "momentum_buffer");
        Matrix& b = buffer(index, "momentum_buffer", &g);
        if (!first) b = momentum * b + static_cast<float>(1.0 - o_.dampening) * g;
        if (o_.nesterov) g += momentum * b;
        else g = b;
    }
    param -= static_cast<float>(lr()) * g;
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
    Matrix g = grad;
    if (decoupled_) param *= static_cast<float>(1.0 - lr() * weight_decay_);
    else if (weight_decay_ != 0.0) g += static_cast<float>(weight_decay_) * param;

    Matrix& m = buffer(index, "exp_avg");
    Matrix& v = buffer(index, "exp_avg_sq");
    m = b1 * m + (1.0f - b1) * g;
    v.array() = b2 * v.array() + (1.0f - b2) * g.array().square();
    const Matrix* second = &v;
    if (o_.amsgrad) {
        Matrix& vmax = buffer(index, "max_exp_avg_sq");
        vmax = vmax.cwiseMax(v);
        second = &vmax;
    }
    const double step_size = lr() / (1.0 - std::pow(o_.beta1, static_cast<double>(t)));
    const float correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(o_.beta2, static_cast<double>(t))));
    param.array() -= static_cast<float>(step_size) * m.array() /
                     (second->array().sqrt() / correction2 + static_cast<float>(o_.eps));
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
    HEBB_CHECK(o.alpha >= 0.0 && o.eps >= 0.0 && o.momentum >= 0.0 && o.weight_decay >= 0.0,
               "RMSprop: alpha, eps, momentum and weight_decay must be >= 0");
}

void RMSprop::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float alpha = static_cast<float>(o_.alpha);
    Matrix g = grad;
    if (o_.weight_decay != 0.0) g += static_cast<float>(o_.weight_decay) * param;
    Matrix& v = buffer(index, "square_avg");
    v.array() = alpha * v.array() + (1.0f - alpha) * g.array().square();
    Eigen::ArrayXXf avg;
    if (o_.centered) {
        Matrix& mean_g = buffer(index, "grad_avg");
        mean_g = alpha * mean_g + (1.0f - alpha) * g;
        avg = (v.array() - mean_g.array().square()).sqrt() + static_cast<float>(o_.eps);
    } else {
        avg = v.array().sqrt() + static_cast<float>(o_.eps);
    }
    if (o_.momentum > 0.0) {
        Matrix& b = buffer(index, "momentum_buffer");
        b.array() = static_cast<float>(o_.momentum) * b.array() + g.array() / avg;
        param -= static_cast<float>(lr()) * b;
    } else {
        param.array() -= static_cast<float>(lr()) * g.array() / avg;
    }
}

}  // namespace hebb::optim
