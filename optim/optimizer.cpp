#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>

#include <omp.h>
#include <unordered_map>

namespace hebb::optim {

namespace {

using Span = Eigen::Map<Eigen::ArrayXf>;
using ConstSpan = Eigen::Map<const Eigen::ArrayXf>;

// Whether every entry is finite: inf - inf and NaN - NaN are NaN, and NaN survives the sum.
bool all_finite(ConstSpan g) { return !std::isnan((g - g).sum()); }

// Runs update(p, g, begin) on consecutive pieces [begin, begin + size) of a parameter and its
// gradient, one piece per OpenMP thread when the parameter is large (the products already use every
// thread; element-wise updates would otherwise run on one), else one piece on the calling thread.
// Each piece goes in blocks small enough to stay in the L1 cache between the finite check of the
// gradient and the update that reads it again. Returns whether the whole gradient was finite; the
// blocks after a non-finite one are left as they were.
template <class Update>
bool for_chunks(Matrix& param, const Matrix& grad, const Update& update) {
    const Eigen::Index n = param.size();
    const auto run = [&](Eigen::Index begin, Eigen::Index end) {
        // 2 KiB of each array an update touches (Adam's four or five: up to 10 KiB of a 32 KiB L1
        // cache). Blocks of 8 KiB made Adam's update of 784-1024-1024-10 1.7x slower.
        constexpr Eigen::Index block = 512;
        for (Eigen::Index b = begin; b < end; b += block) {
            const Eigen::Index size = std::min(block, end - b);
            const ConstSpan g(grad.data() + b, size);
            if (!all_finite(g)) return false;
            update(Span(param.data() + b, size), g, b);
        }
        return true;
    };
    const int pieces = n >= (Eigen::Index{1} << 16) ? omp_get_max_threads() : 1;
    if (pieces == 1) return run(0, n);  // no parallel region at all: even a serial one allocates in libgomp
    const Eigen::Index size = ((n + pieces - 1) / pieces + 15) / 16 * 16;  // whole 64-byte lines
    bool finite = true;
#pragma omp parallel for num_threads(pieces) reduction(&& : finite)
    for (int i = 0; i < pieces; ++i) {
        const Eigen::Index begin = std::min(n, i * size), end = std::min(n, begin + size);
        finite = run(begin, end) && finite;
    }
    return finite;
}

// A buffer the shape of `param`, created as zeros on first use.
Matrix& zeros_like(Matrix& buffer, const Matrix& param) {
    if (buffer.size() == 0) buffer = Matrix::Zero(param.rows(), param.cols());
    return buffer;
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr)
    : params_(std::move(params)), lr_(lr), steps_(params_.size(), 0) {
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
    for (size_t i = 0; i < params_.size(); ++i)
        if (params_[i].has_grad())
            HEBB_CHECK(update(i, params_[i].value(), params_[i].grad(), ++steps_[i]), "the gradient of parameter ",
                       i, " ", params_[i].shape(), " is not finite");
}

OptimizerState Optimizer::state_dict() const {
    OptimizerState out{std::vector<StateDict>(params_.size())};
    auto& self = const_cast<Optimizer&>(*this);  // buffers() gives writable access; here it is only read
    for (size_t i = 0; i < params_.size(); ++i) {
        // A float holds every whole number below 2^24 exactly: enough steps for any run here.
        if (steps_[i]) out.params[i].push_back({"step", Matrix::Constant(1, 1, static_cast<float>(steps_[i])), {}});
        for (const auto& [name, m] : self.buffers(i))
            if (m->size()) out.params[i].push_back({name, *m, matrix_shape(*m)});
    }
    return out;
}

void Optimizer::load_state_dict(const OptimizerState& state) {
    HEBB_CHECK(state.params.size() == params_.size(), "optimizer load_state_dict: state for ",
               state.params.size(), " parameters, the optimizer has ", params_.size());
    // Everything is checked before anything changes.
    std::vector<std::vector<std::pair<Matrix*, const Matrix*>>> copies(params_.size());
    std::vector<std::int64_t> steps(params_.size(), 0);
    for (size_t i = 0; i < params_.size(); ++i) {
        const auto buffers = this->buffers(i);
        for (const NamedArray& a : state.params[i]) {
            if (a.name == "step") {
                const float t = a.value.size() == 1 ? a.value(0, 0) : -1.0f;
                HEBB_CHECK(t >= 0.0f && t == std::floor(t), "optimizer load_state_dict: 'step' of parameter ", i,
                           " is not a whole number of steps");
                steps[i] = static_cast<std::int64_t>(t);
                continue;
            }
            const auto it = std::find_if(buffers.begin(), buffers.end(), [&](const auto& b) { return a.name == b.first; });
            HEBB_CHECK(it != buffers.end(), "optimizer load_state_dict: parameter ", i, " has no buffer '", a.name, "'");
            const Matrix& p = params_[i].value();
            HEBB_CHECK(a.value.rows() == p.rows() && a.value.cols() == p.cols(), "optimizer load_state_dict: '",
                       a.name, "' of parameter ", i, " is ", shape_str(a.value), " but the parameter is ", shape_str(p));
            copies[i].push_back({it->second, &a.value});
        }
    }
    for (size_t i = 0; i < params_.size(); ++i) {
        for (const auto& [name, m] : buffers(i)) m->resize(0, 0);
        for (const auto& [to, from] : copies[i]) *to = *from;
    }
    steps_ = std::move(steps);
}

SGD::SGD(std::vector<Tensor> params, SGDOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), state_(this->params().size()) {
    HEBB_CHECK(o.momentum >= 0.0 && o.weight_decay >= 0.0, "SGD: momentum and weight_decay must be >= 0");
    HEBB_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
               "SGD: nesterov needs momentum > 0 and dampening 0");
}

std::vector<std::pair<const char*, Matrix*>> SGD::buffers(size_t i) {
    return {{"momentum_buffer", &state_[i].momentum_buffer}};
}

bool SGD::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float lr = static_cast<float>(this->lr()), momentum = static_cast<float>(o_.momentum),
                decay = static_cast<float>(o_.weight_decay), damped = static_cast<float>(1.0 - o_.dampening);
    Matrix& buffer = state_[index].momentum_buffer;
    const bool first = buffer.size() == 0;
    float* const b = o_.momentum == 0.0 ? nullptr : zeros_like(buffer, param).data();
    return for_chunks(param, grad, [&](Span p, ConstSpan g, Eigen::Index begin) {
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
      state_(this->params().size()),
      weight_decay_(o.weight_decay.value_or(decoupled ? 1e-2 : 0.0)),
      decoupled_(decoupled) {
    HEBB_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0 && o.beta2 >= 0.0 && o.beta2 < 1.0,
               "Adam: betas must be in [0, 1), got (", o.beta1, ", ", o.beta2, ")");
    HEBB_CHECK(o.eps >= 0.0 && weight_decay_ >= 0.0, "Adam: eps and weight_decay must be >= 0");
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, true) {}

std::vector<std::pair<const char*, Matrix*>> Adam::buffers(size_t i) {
    AdamParamState& s = state_[i];
    return {{"exp_avg", &s.exp_avg}, {"exp_avg_sq", &s.exp_avg_sq}, {"max_exp_avg_sq", &s.max_exp_avg_sq}};
}

bool Adam::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t t) {
    const float b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2),
                coupled_decay = decoupled_ ? 0.0f : static_cast<float>(weight_decay_),
                shrink = decoupled_ ? static_cast<float>(1.0 - lr() * weight_decay_) : 1.0f,
                eps = static_cast<float>(o_.eps);
    const float step_size = static_cast<float>(lr() / (1.0 - std::pow(o_.beta1, static_cast<double>(t))));
    const float correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(o_.beta2, static_cast<double>(t))));
    AdamParamState& s = state_[index];
    float* const m0 = zeros_like(s.exp_avg, param).data();
    float* const v0 = zeros_like(s.exp_avg_sq, param).data();
    float* const vmax0 = o_.amsgrad ? zeros_like(s.max_exp_avg_sq, param).data() : nullptr;
    return for_chunks(param, grad, [&](Span p, ConstSpan g, Eigen::Index begin) {
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

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o)
    : Optimizer(std::move(params), o.lr), o_(o), state_(this->params().size()) {
    HEBB_CHECK(o.alpha >= 0.0 && o.eps >= 0.0 && o.momentum >= 0.0 && o.weight_decay >= 0.0,
               "RMSprop: alpha, eps, momentum and weight_decay must be >= 0");
}

std::vector<std::pair<const char*, Matrix*>> RMSprop::buffers(size_t i) {
    RMSpropParamState& s = state_[i];
    return {{"square_avg", &s.square_avg}, {"momentum_buffer", &s.momentum_buffer}, {"grad_avg", &s.grad_avg}};
}

bool RMSprop::update(size_t index, Matrix& param, const Matrix& grad, std::int64_t) {
    const float alpha = static_cast<float>(o_.alpha), eps = static_cast<float>(o_.eps),
                lr = static_cast<float>(this->lr()), decay = static_cast<float>(o_.weight_decay),
                momentum = static_cast<float>(o_.momentum);
    RMSpropParamState& s = state_[index];
    float* const v0 = zeros_like(s.square_avg, param).data();
    float* const b0 = o_.momentum > 0.0 ? zeros_like(s.momentum_buffer, param).data() : nullptr;
    float* const mean0 = o_.centered ? zeros_like(s.grad_avg, param).data() : nullptr;
    return for_chunks(param, grad, [&](Span p, ConstSpan g, Eigen::Index begin) {
        Span v(v0 + begin, p.size());
        const auto d = g + decay * p;  // read before p changes
        v = alpha * v + (1.0f - alpha) * d.square();
        // The step divides by avg = sqrt(v - mean^2) + eps (centered) or sqrt(v) + eps.
        const auto apply = [&](const auto& avg) {
            if (b0) {
                Span b(b0 + begin, p.size());
                b = momentum * b + d / avg;
                p -= lr * b;
            } else {
                p -= lr * d / avg;
            }
        };
        if (mean0) {
            Span mean_g(mean0 + begin, p.size());
            mean_g = alpha * mean_g + (1.0f - alpha) * d;
            apply((v - mean_g.square()).sqrt() + eps);
        } else {
            apply(v.sqrt() + eps);
        }
    });
}

}  // namespace hebb::optim
