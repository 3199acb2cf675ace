// hebb's matrix products on oneDNN (Debian's libdnnl-dev), the product backend: core/gemm.cpp hands
// every product to it when hebb is built with it. Matrices are row-major floats given by pointer;
// a transposed operand is stored as the transpose of what the product reads.
#pragma once

#include <Eigen/Core>

namespace hebb::onednn {

// c (m x n) = alpha op(a) op(b) + beta c, then with bias (1 x n, or null) added to every row and
// relu, max(c, 0); op(a) (m x k) is a (m x k) or, transposed, a (k x m); op(b) (k x n) likewise.
// Wide products run on a matmul primitive kept per shape, whose epilogue adds the bias and applies
// ReLU as it writes c; narrow ones on sgemm, with a pass for the epilogue.
void product(Eigen::Index m, Eigen::Index n, Eigen::Index k, const float* a, bool transpose_a, const float* b,
             bool transpose_b, float* c, float alpha, float beta, const float* bias = nullptr, bool relu = false);

// The two ways product() chooses between, for measuring them (bench/onednn_products.cpp): the
// matmul primitive of this kind of product (created on first use, kept per thread, run on hebb's
// scratch memory), and sgemm with explicit leading dimensions (also for products over blocks).
void primitive_product(Eigen::Index m, Eigen::Index n, Eigen::Index k, const float* a, bool transpose_a,
                       const float* b, bool transpose_b, float* c, float alpha, float beta,
                       const float* bias = nullptr, bool relu = false);
void sgemm(bool transpose_a, bool transpose_b, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha,
           const float* a, Eigen::Index lda, const float* b, Eigen::Index ldb, float beta, float* c, Eigen::Index ldc);

}  // namespace hebb::onednn
