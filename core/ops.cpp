#include "core/ops.h"

#include "core/gemm.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace hebb {

using Eigen::Index;

namespace {

constexpr float inv_sqrt2 = 1.0f / std::numbers::sqrt2_v<float>;

Node& parent(Node& y, size_t i) { return *y.parents[i]; }

// Adds op(a) op(b) into p's gradient; one not yet allocated is written directly rather than
// zeroed first and added to.
void send_product(Node& p, const Matrix& a, bool transpose_a, const Matrix& b, bool transpose_b) {
    if (!p.requires_grad) return;
    const bool fresh = p.grad.size() == 0;
    if (fresh) p.grad = Pooled(p.value.rows(), p.value.cols());
    gemm(a, transpose_a, b, transpose_b, p.grad, 1.0f, fresh ? 0.0f : 1.0f);
}

// An expression's value in recycled storage.
template <class Expr>
Pooled pooled(const Expr& e) {
    Pooled m(e.rows(), e.cols());
    m.array() = e.array();
    return m;
}

// What a loss saves: its gradient with respect to its input for an incoming gradient of 1.
struct LossGradient {
    Pooled d;
};

// Output shape of a broadcasting binary op, or an error naming the op and both shapes.
std::pair<Index, Index> broadcast_shape(const char* op, const Matrix& a, const Matrix& b) {
    auto dim = [&](Index x, Index y) {  // as NumPy: a size 1 takes the other's, 0 too
        HEBB_CHECK(x == y || x == 1 || y == 1, op, ": cannot broadcast ", shape_str(a), " with ",
                   shape_str(b));
        return x == 1 ? y : x;
    };
    return {dim(a.rows(), b.rows()), dim(a.cols(), b.cols())};
}

// m stretched to (rows x cols) along its size-1 dimensions, as an array expression.
auto expand(const Matrix& m, Index rows, Index cols) {
    return m.array().replicate(m.rows() == rows ? 1 : rows, m.cols() == cols ? 1 : cols);
}

void check_labels(const char* op, const Matrix& scores, std::span<const int> labels) {
    HEBB_CHECK(static_cast<Index>(labels.size()) == scores.rows(), op, ": ", labels.size(),
               " labels for ", shape_str(scores), " scores");
    for (size_t b = 0; b < labels.size(); ++b)
        HEBB_CHECK(labels[b] >= 0 && labels[b] < scores.cols(), op, ": label ", labels[b],
                   " at row ", b, " is outside [0, ", scores.cols(), ")");
}

// x minus log(sum(exp(x))) of its row, computed from x shifted by the row maximum so that nothing
// overflows and the largest entry keeps full precision. (B x C) -> (B x C)
Matrix log_softmax_rows(const Matrix& x) {
    const Matrix shifted = x.colwise() - x.rowwise().maxCoeff();
    return shifted.colwise() - shifted.array().exp().rowwise().sum().log().matrix();
}

}  // namespace

// y = a b; da = g b^T, db = a^T g
Tensor matmul(const Tensor& a, const Tensor& b) {
    HEBB_CHECK(a.cols() == b.rows(), "matmul: cannot multiply ", a.shape(), " by ", b.shape());
    Pooled y(a.rows(), b.cols());
    gemm(a.value(), false, b.value(), false, y);
    return make_result(std::move(y), "matmul", {a, b}, [](Node& y) {
        Node& a = parent(y, 0);
        Node& b = parent(y, 1);
        send_product(a, y.grad, false, b.value, true);
        send_product(b, a.value, true, y.grad, false);
    });
}

namespace {

// y = x W^T + bias, and with relu y = max(that, 0); with G = g (times [y > 0] with relu):
// dx = G W, dW = G^T x, dbias = sum of G over the batch
Tensor linear_op(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, bool relu) {
    HEBB_CHECK(x.cols() == weight.cols(), op, ": input ", x.shape(), " does not fit weight ", weight.shape(),
               " (out x in)");
    HEBB_CHECK(!bias.defined() || (bias.rows() == 1 && bias.cols() == weight.rows()), op, ": bias ",
               bias.shape(), " does not fit weight ", weight.shape());
    Pooled y(x.rows(), weight.rows());
    linear_product(x.value(), weight.value(), bias.defined() ? &bias.value() : nullptr, relu, y);
    return make_result(std::move(y), op, {x, weight, bias}, [relu](Node& y) {
        Node& x = parent(y, 0);
        Node& w = parent(y, 1);
        const bool has_bias = y.parents.size() == 3;
        Pooled masked, bias_grad(1, has_bias ? y.grad.cols() : 0);  // G, in one pass with its column sums
        if (relu) {
            masked = Pooled(y.grad.rows(), y.grad.cols());
            bias_grad.setZero();
            for (Index r = 0; r < y.grad.rows(); ++r) {
                masked.row(r) = (y.value.row(r).array() > 0.0f).select(y.grad.row(r), 0.0f);
                if (has_bias) bias_grad += masked.row(r);
            }
        } else if (has_bias) {
            bias_grad = y.grad.colwise().sum();
        }
        const Matrix& g = relu ? masked : y.grad;
        send_product(x, g, false, w.value, false);
        send_product(w, g, true, x.value, false);
        if (has_bias) accumulate_grad(parent(y, 2), bias_grad);
    });
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    return linear_op("linear", x, weight, bias, false);
}

Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    return linear_op("linear_relu", x, weight, bias, true);
}

// y = x^T; dx = g^T
Tensor transpose(const Tensor& x) {
    return make_result(pooled(x.value().transpose()), "transpose", {x},
                       [](Node& y) { accumulate_grad(parent(y, 0), y.grad.transpose()); });
}

// y = a + b; da = g, db = g (each summed back to its own shape)
Tensor add(const Tensor& a, const Tensor& b) {
    auto [r, c] = broadcast_shape("add", a.value(), b.value());
    Matrix y = pooled(expand(a.value(), r, c) + expand(b.value(), r, c));
    return make_result(std::move(y), "add", {a, b}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad);
        accumulate_grad(parent(y, 1), y.grad);
    });
}

// y = a - b; da = g, db = -g
Tensor sub(const Tensor& a, const Tensor& b) {
    auto [r, c] = broadcast_shape("sub", a.value(), b.value());
    Matrix y = pooled(expand(a.value(), r, c) - expand(b.value(), r, c));
    return make_result(std::move(y), "sub", {a, b}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad);
        accumulate_grad(parent(y, 1), -y.grad);
    });
}

// y = a * b; da = g * b, db = g * a
Tensor mul(const Tensor& a, const Tensor& b) {
    auto [r, c] = broadcast_shape("mul", a.value(), b.value());
    Matrix y = pooled(expand(a.value(), r, c) * expand(b.value(), r, c));
    return make_result(std::move(y), "mul", {a, b}, [](Node& y) {
        Node& a = parent(y, 0);
        Node& b = parent(y, 1);
        const Index r = y.value.rows(), c = y.value.cols();
        if (a.requires_grad) accumulate_grad(a, y.grad.array() * expand(b.value, r, c));
        if (b.requires_grad) accumulate_grad(b, y.grad.array() * expand(a.value, r, c));
    });
}

// y = a / b; da = g / b, db = -g a / b^2 = -g y / b
Tensor div(const Tensor& a, const Tensor& b) {
    auto [r, c] = broadcast_shape("div", a.value(), b.value());
    Matrix y = pooled(expand(a.value(), r, c) / expand(b.value(), r, c));
    return make_result(std::move(y), "div", {a, b}, [](Node& y) {
        Node& a = parent(y, 0);
        Node& b = parent(y, 1);
        const auto bx = expand(b.value, y.value.rows(), y.value.cols());
        if (a.requires_grad) accumulate_grad(a, y.grad.array() / bx);
        if (b.requires_grad) accumulate_grad(b, -y.grad.array() * y.value.array() / bx);
    });
}

// y = -x; dx = -g
Tensor neg(const Tensor& x) {
    return make_result(pooled(-x.value()), "neg", {x}, [](Node& y) { accumulate_grad(parent(y, 0), -y.grad); });
}

// y = e^x; dx = g y
Tensor exp(const Tensor& x) {
    return make_result(pooled(x.value().array().exp()), "exp", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad.array() * y.value.array());
    });
}

// y = ln x; dx = g / x
Tensor log(const Tensor& x) {
    return make_result(pooled(x.value().array().log()), "log", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad.array() / parent(y, 0).value.array());
    });
}

// y = sqrt(x); dx = g / (2 y)
Tensor sqrt(const Tensor& x) {
    return make_result(pooled(x.value().array().sqrt()), "sqrt", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad.array() / (2.0f * y.value.array()));
    });
}

// y = x^p; dx = g p x^(p-1)
Tensor pow(const Tensor& x, float p) {
    return make_result(pooled(x.value().array().pow(p)), "pow", {x}, [p](Node& y) {
        accumulate_grad(parent(y, 0), y.grad.array() * p * parent(y, 0).value.array().pow(p - 1.0f));
    });
}

// y = |x|; dx = g sign(x), with sign(0) = 0
Tensor abs(const Tensor& x) {
    return make_result(pooled(x.value().array().abs()), "abs", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad.array() * parent(y, 0).value.array().sign());
    });
}

// y = x^2; dx = 2 g x
Tensor square(const Tensor& x) {
    return make_result(pooled(x.value().array().square()), "square", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), 2.0f * y.grad.array() * parent(y, 0).value.array());
    });
}

// y = max(x, 0); dx = g [x > 0]
Tensor relu(const Tensor& x) {
    return make_result(pooled(x.value().cwiseMax(0.0f)), "relu", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), (y.value.array() > 0.0f).select(y.grad, 0.0f));
    });
}

// y = x for x > 0, s x otherwise; dx = g for x > 0, s g otherwise
Tensor leaky_relu(const Tensor& x, float s) {
    const auto& v = x.value().array();
    return make_result(pooled((v > 0.0f).select(v, s * v)), "leaky_relu", {x}, [s](Node& y) {
        accumulate_grad(parent(y, 0), (parent(y, 0).value.array() > 0.0f).select(y.grad, s * y.grad.array()));
    });
}

// y = 1 / (1 + e^-x); dx = g y (1 - y)
Tensor sigmoid(const Tensor& x) {
    return make_result(pooled(1.0f / (1.0f + (-x.value().array()).exp())), "sigmoid", {x}, [](Node& y) {
        const auto& v = y.value.array();
        accumulate_grad(parent(y, 0), y.grad.array() * v * (1.0f - v));
    });
}

// y = tanh x; dx = g (1 - y^2)
Tensor tanh(const Tensor& x) {
    // std::tanh rather than Eigen's fast approximation, which rounds to 1 from x = 7.95 on.
    return make_result(pooled(x.value().unaryExpr([](float v) { return std::tanh(v); })), "tanh", {x}, [](Node& y) {
        accumulate_grad(parent(y, 0), y.grad.array() * (1.0f - y.value.array().square()));
    });
}

// y = x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2; dx = g (Phi(x) + x phi(x))
Tensor gelu(const Tensor& x) {
    const auto phi_cdf = [](const auto& v) {
        return v.unaryExpr([](float z) { return 0.5f * (1.0f + std::erf(z * inv_sqrt2)); });
    };
    return make_result(pooled(x.value().array() * phi_cdf(x.value().array())), "gelu", {x},
                       [phi_cdf](Node& y) {
                           const auto& v = parent(y, 0).value.array();
                           const auto density = std::numbers::inv_sqrtpi_v<float> * inv_sqrt2 *
                                                (-0.5f * v.square()).exp();
                           accumulate_grad(parent(y, 0), y.grad.array() * (phi_cdf(v) + v * density));
                       });
}

// y = sum of all x (1x1); dx = g everywhere
Tensor sum(const Tensor& x) {
    return make_result(filled(1, 1, x.value().sum()), "sum", {x}, [](Node& y) {
        Node& x = parent(y, 0);
        accumulate_grad(x, Matrix::Constant(x.value.rows(), x.value.cols(), y.grad(0, 0)));
    });
}

// dim 0: y (1 x c) = column sums; dim 1: y (r x 1) = row sums; dx = g stretched back
Tensor sum(const Tensor& x, int dim) {
    HEBB_CHECK(dim == 0 || dim == 1, "sum: dim must be 0 or 1, got ", dim);
    Matrix y = dim == 0 ? pooled(x.value().colwise().sum()) : pooled(x.value().rowwise().sum());
    return make_result(std::move(y), "sum", {x}, [](Node& y) {
        Node& x = parent(y, 0);
        accumulate_grad(x, expand(y.grad, x.value.rows(), x.value.cols()));
    });
}

Tensor mean(const Tensor& x) { return sum(x) / static_cast<float>(x.value().size()); }

Tensor mean(const Tensor& x, int dim) {
    HEBB_CHECK(dim == 0 || dim == 1, "mean: dim must be 0 or 1, got ", dim);
    return sum(x, dim) / static_cast<float>(dim == 0 ? x.rows() : x.cols());
}

// y[b] = e^x[b] / sum(e^x[b]); dx = y * (g - sum(g * y)) per row
Tensor softmax(const Tensor& x) {
    Matrix y = log_softmax_rows(x.value()).array().exp();
    return make_result(std::move(y), "softmax", {x}, [](Node& y) {
        const Eigen::VectorXf gy = (y.grad.array() * y.value.array()).rowwise().sum();
        accumulate_grad(parent(y, 0), y.value.array() * (y.grad.colwise() - gy).array());
    });
}

// y[b] = x[b] - log sum(e^x[b]); dx = g - softmax(x) * sum(g) per row
Tensor log_softmax(const Tensor& x) {
    Matrix y = log_softmax_rows(x.value());
    return make_result(std::move(y), "log_softmax", {x}, [](Node& y) {
        const Eigen::VectorXf g = y.grad.rowwise().sum();
        accumulate_grad(parent(y, 0), y.grad.array() - y.value.array().exp().colwise() * g.array());
    });
}

// loss = mean_b [ -(1 - e) logp[b, label] - (e / C) sum_c logp[b, c] ] with logp = log_softmax(logits);
// dlogits = g (softmax - target) / B with target = (1 - e) one-hot + e / C
Tensor cross_entropy(const Tensor& logits, std::span<const int> labels, float smoothing) {
    check_labels("cross_entropy", logits.value(), labels);
    HEBB_CHECK(smoothing >= 0.0f && smoothing <= 1.0f,
               "cross_entropy: label_smoothing must be in [0, 1], got ", smoothing);
    const Matrix& x = logits.value();
    const Index batch = x.rows();
    const float classes = static_cast<float>(x.cols()), scale = 1.0f / static_cast<float>(batch);
    Pooled d(batch, x.cols());  // (softmax - target) / B: the gradient for g = 1
    double loss = 0.0;
    for (Index b = 0; b < batch; ++b) {
        // logp = shifted - log(sum(exp(shifted))) with shifted = x - max(x): nothing overflows and
        // the largest entry keeps full precision.
        const float max = x.row(b).maxCoeff();
        const float log_sum = std::log((x.row(b).array() - max).exp().sum());
        const auto logp = x.row(b).array() - max - log_sum;
        loss -= (1.0f - smoothing) * logp(labels[b]) + smoothing / classes * logp.sum();
        d.row(b) = scale * (logp.exp() - smoothing / classes);
        d(b, labels[b]) -= scale * (1.0f - smoothing);
    }
    Tensor out = make_result(filled(1, 1, static_cast<float>(loss / batch)), "cross_entropy",
                             {logits}, [](Node& y) { accumulate_grad(parent(y, 0), y.grad(0, 0) * saved<LossGradient>(y).d.array()); });
    save(out, LossGradient{std::move(d)});
    return out;
}

// loss = -mean_b logp[b, label]; dlogp = -g / B at each (b, label), 0 elsewhere
Tensor nll_loss(const Tensor& log_probs, std::span<const int> labels) {
    check_labels("nll_loss", log_probs.value(), labels);
    const Index batch = log_probs.rows();
    Pooled d(batch, log_probs.cols());  // the gradient for g = 1
    d.setZero();
    double loss = 0.0;
    for (Index b = 0; b < batch; ++b) {
        loss -= log_probs.value()(b, labels[b]);
        d(b, labels[b]) = -1.0f / static_cast<float>(batch);
    }
    Tensor out = make_result(filled(1, 1, static_cast<float>(loss / batch)), "nll_loss",
                             {log_probs}, [](Node& y) { accumulate_grad(parent(y, 0), y.grad(0, 0) * saved<LossGradient>(y).d.array()); });
    save(out, LossGradient{std::move(d)});
    return out;
}

// loss = mean (a - b)^2; da = 2 g (a - b) / N, db = -da
Tensor mse_loss(const Tensor& a, const Tensor& b) {
    HEBB_CHECK(a.rows() == b.rows() && a.cols() == b.cols(), "mse_loss: shapes differ: ",
               a.shape(), " and ", b.shape());
    const float n = static_cast<float>(a.value().size());
    const float loss = (a.value() - b.value()).squaredNorm() / n;
    return make_result(filled(1, 1, loss), "mse_loss", {a, b}, [n](Node& y) {
        const Matrix d = (2.0f * y.grad(0, 0) / n) * (parent(y, 0).value - parent(y, 1).value);
        accumulate_grad(parent(y, 0), d);
        accumulate_grad(parent(y, 1), -d);
    });
}

}  // namespace hebb
