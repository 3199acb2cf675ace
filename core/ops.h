// The differentiable operations. Shapes are (rows x cols); B is the batch (rows are samples).
// Binary elementwise ops broadcast like PyTorch: a dimension of size 1 stretches to match the other
// operand (a (1 x n) row, an (n x 1) column or a 1x1 scalar), and its gradient is summed back.
#pragma once

#include <span>

#include "core/tensor.h"

namespace hebb {

Tensor matmul(const Tensor& a, const Tensor& b);  // (n x k)(k x m) -> (n x m)
// x (B x in), weight (out x in), bias (1 x out) or undefined -> x weight^T + bias (B x out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
// relu(linear(x, weight, bias)) as one op: the product adds the bias and applies ReLU as it writes
// its output, and the backward pass masks the gradient and sums the bias's in one pass over it.
Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
Tensor transpose(const Tensor& x);  // (r x c) -> (c x r)

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, float exponent);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);

Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact form x * Phi(x), as PyTorch's default

// Reductions. dim 0 sums over rows (r x c -> 1 x c), dim 1 over columns (r x c -> r x 1).
Tensor sum(const Tensor& x);  // -> 1x1
Tensor sum(const Tensor& x, int dim);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int dim);

Tensor softmax(const Tensor& x);      // along each row
Tensor log_softmax(const Tensor& x);  // along each row

// Mean over the batch of -log softmax(logits)[b, labels[b]]; with label smoothing e the target is
// (1 - e) one-hot + e / C. logits (B x C), labels B values in [0, C) -> 1x1.
Tensor cross_entropy(const Tensor& logits, std::span<const int> labels, float label_smoothing = 0.0f);
// Mean over the batch of -log_probs[b, labels[b]]. log_probs (B x C) -> 1x1.
Tensor nll_loss(const Tensor& log_probs, std::span<const int> labels);
// Mean of (a - b)^2 over all entries; a and b have the same shape -> 1x1.
Tensor mse_loss(const Tensor& a, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, float s) { return add(a, Tensor::scalar(s)); }
inline Tensor operator-(const Tensor& a, float s) { return sub(a, Tensor::scalar(s)); }
inline Tensor operator*(const Tensor& a, float s) { return mul(a, Tensor::scalar(s)); }
inline Tensor operator/(const Tensor& a, float s) { return div(a, Tensor::scalar(s)); }
inline Tensor operator+(float s, const Tensor& b) { return add(Tensor::scalar(s), b); }
inline Tensor operator-(float s, const Tensor& b) { return sub(Tensor::scalar(s), b); }
inline Tensor operator*(float s, const Tensor& b) { return mul(Tensor::scalar(s), b); }
inline Tensor operator/(float s, const Tensor& b) { return div(Tensor::scalar(s), b); }

// For writing an op's backward (with make_result, save and saved): adds g (r x c), the gradient of
// the op's output, into the grad of parent p summed over the dimensions p was broadcast along: p
// (r x c) takes g, a (1 x c) row its sums over rows, an (r x 1) column its sums over columns, a 1x1
// scalar its total. Does nothing when p needs no gradient; any other shape of p throws. g may be an
// Eigen expression.
template <class Expr>
void accumulate_grad(Node& p, const Expr& g) {
    if (!p.requires_grad) return;
    const Eigen::Index rows = p.value.rows(), cols = p.value.cols();
    HEBB_CHECK((rows == g.rows() || rows == 1) && (cols == g.cols() || cols == 1), "accumulate_grad: a (",
               g.rows(), "x", g.cols(), ") gradient does not sum into the ", p.op, " ", shape_str(p.value));
    auto acc = p.grad_buffer().array();
    if (rows == g.rows() && cols == g.cols()) acc += g.array();
    else if (acc.size() == 1) acc(0, 0) += g.sum();
    else if (rows == 1) acc += g.array().colwise().sum();
    else acc += g.array().rowwise().sum();
}

}  // namespace hebb
