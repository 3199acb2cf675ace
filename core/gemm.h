// The matrix product every layer's forward and backward rests on.
#pragma once

#include "core/tensor.h"

namespace hebb {

// c = alpha op(a) op(b) + beta c, with op(x) = x, or x^T when its flag is set; c must already have
// the result's shape, and with beta = 0 its old entries are never read. Runs on oneDNN when hebb
// is built with it (backend/onednn.h; see meson_options.txt), on Eigen's own product otherwise.
void gemm(const Matrix& a, bool transpose_a, const Matrix& b, bool transpose_b, Matrix& c,
          float alpha = 1.0f, float beta = 0.0f);

// y = x w^T + bias, then max(y, 0) with relu: a dense layer's forward product with its epilogue.
// x (B x in), w (out x in), bias (1 x out, or null), y (B x out). On oneDNN a matmul primitive per
// shape adds the bias and applies ReLU to each block of y as it computes it (backend/onednn.h); on
// Eigen, the readable reference, one pass over y follows the product.
void linear_product(const Matrix& x, const Matrix& w, const Matrix* bias, bool relu, Matrix& y);

// s = alpha a^T a for a (r x n), s (n x n): symmetric, so only its upper part is computed, in block
// rows (about 5/8 of a full product's work), and then mirrored.
void gram(const Matrix& a, Matrix& s, float alpha = 1.0f);

// "onednn" or "eigen": which product gemm() runs on.
const char* gemm_backend();

}  // namespace hebb
