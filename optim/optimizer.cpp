#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>

#include <omp.h>
#include <unordered_map>

namespace hebb::optim {

namespace {

using Span = Eigen::Map<Eigen::ArrayXf>;
using ConstSpan = Eigen::Map<const Eigen::ArrayXf>;

// Runs update(p, g, begin) on consecutive pieces [begin, begin + size) of a parameter and its
// gradient, one piece per OpenMP thread when the parameter is large (the products already use every
// thread; element-wise updates would otherwise run on one), else one piece on the calling thread.
template <class Update>
void for_chunks(Matrix& param, const Matrix& grad, const Update& update) {
    const Eigen::Index n = param.size();
    const int pieces = n >= (Eigen::Index{1} << 16) ? omp_get_max_threads() : 1;
    if (pieces == 1) {  // no parallel region at all: even a serial one allocates in libgomp
        update(Span(param.data(), n), ConstSpan(grad.data(), n), 0);
        return;
    }
    const Eigen::Index size = ((n + pieces - 1) / pieces + 15) / 16 * 16;  // whole 64-byte lines
#pragma omp parallel for num_threads(pieces)
    for (int i = 0; i < pieces; ++i) {
        const Eigen::Index begin = std::min(n, i * size), end = std::min(n, begin + size);
        if (begin < end) update(Span(param.data() + begin, end - begin), ConstSpan(grad.data() + begin, end - begin), begin);
    }
}

}  // namespace

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

void SGD::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float lr = static_cast<float>(this->lr()), momentum = static_cast<float>(o_.momentum),
                decay = static_cast<float>(o_.weight_decay), damped = static_cast<float>(1.0 - o_.dampening);
    const bool first = !has_buffer(index, "momentum_buffer");
    float* const b = o_.momentum == 0.0 ? nullptr : buffer(index, "momentum_buffer").data();
    for_chunks(param, grad, [&](Span p, ConstSpan g, Eigen::Index begin) {
        const auto d = g + decay * p;  // read before p changes
        if (!b) {
            p -= lr * d;
            return;
        }
        Span buf(b + begin, p.size());
        if (first) buf = d;
        else buf = momentum * buf + damped * d;
        if (o_.nesterov) p -= lr * (d + momentum * buf);
        else p -= lr * buf;
    });
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
    const float b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2),
                coupled_decay = decoupled_ ? 0.0f : static_cast<float>(weight_decay_),
                shrink = decoupled_ ? static_cast<float>(1.0 - lr() * weight_decay_) : 1.0f,
                eps = static_cast<float>(o_.eps);
    const float step_size = static_cast<float>(lr() / (1.0 - std::pow(o_.beta1, static_cast<double>(t))));
    const float correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(o_.beta2, static_cast<double>(t))));
    float* const m0 = buffer(index, "exp_avg").data();
    float* const v0 = buffer(index, "exp_avg_sq").data();
    float* const vmax0 = o_.amsgrad ? buffer(index, "max_exp_avg_sq").data() : nullptr;
    for_chunks(param, grad, [&](Span p, ConstSpan g, Eigen::Index begin) {
        Span m(m0 + begin, p.size()), v(v0 + begin, p.size());
        const auto d = g + coupled_decay * p;
        m = b1 * m + (1.0f - b1) * d;
        v = b2 * v + (1.0f - b2) * d.square();
        if (vmax0) {
            Span vmax(vmax0 + begin, p.size());
            vmax = vmax.max(v);
            p = shrink * p - step_size * m / (vmax.sqrt() / correction2 + eps);
        } else {
            p = shrink * p - step_size * m / (v.sqrt() / correction2 + eps);
        }
    });
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
