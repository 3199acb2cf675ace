#include "core/gemm.h"

#include <algorithm>

#ifdef HEBB_ONEDNN
#include "backend/onednn.h"
#endif

namespace hebb {

void linear_product(const Matrix& x, const Matrix& w, const Matrix* bias, bool relu, Matrix& y) {
    HEBB_CHECK(x.cols() == w.cols() && y.rows() == x.rows() && y.cols() == w.rows() &&
                   (!bias || (bias->rows() == 1 && bias->cols() == w.rows())),
               "linear_product: x ", shape_str(x), ", w ", shape_str(w), ", y ", shape_str(y),
               (bias ? ", bias " + shape_str(*bias) : std::string()), " do not fit: y is (rows of x) x (rows of w), "
               "w has x's columns, bias is 1 x (rows of w)");
    if (y.size() == 0) return;
#ifdef HEBB_ONEDNN
    onednn::product(x.rows(), w.rows(), x.cols(), x.data(), false, w.data(), true, y.data(), 1.0f, 0.0f,
                    bias ? bias->data() : nullptr, relu);
#else
    y.noalias() = x * w.transpose();
    if (bias && relu) y = (y.array().rowwise() + bias->row(0).array()).max(0.0f);
    else if (bias) y.rowwise() += bias->row(0);
    else if (relu) y = y.cwiseMax(0.0f);
#endif
}

void gemm(const Matrix& a, bool transpose_a, const Matrix& b, bool transpose_b, Matrix& c,
          float alpha, float beta) {
    // op(a) is (m x k), op(b) is (k x n), c is (m x n).
    const Eigen::Index m = transpose_a ? a.cols() : a.rows(), k = transpose_a ? a.rows() : a.cols();
    const Eigen::Index n = transpose_b ? b.rows() : b.cols();
    HEBB_CHECK((transpose_b ? b.cols() : b.rows()) == k && c.rows() == m && c.cols() == n, "gemm: ",
               shape_str(a), (transpose_a ? "^T" : ""), " times ", shape_str(b), (transpose_b ? "^T" : ""),
               " does not fit into ", shape_str(c));
    if (c.size() == 0) return;
#ifdef HEBB_ONEDNN
    onednn::product(m, n, k, a.data(), transpose_a, b.data(), transpose_b, c.data(), alpha, beta);
#else
    const auto run = [&](const auto& x, const auto& y) {
        if (beta == 0.0f) {
            c.noalias() = alpha * x * y;
        } else {
            if (beta != 1.0f) c *= beta;
            c.noalias() += alpha * x * y;
        }
    };
    if (transpose_a && transpose_b) run(a.transpose(), b.transpose());
    else if (transpose_a) run(a.transpose(), b);
    else if (transpose_b) run(a, b.transpose());
    else run(a, b);
#endif
}

void gram(const Matrix& a, Matrix& s, float alpha) {
    const Eigen::Index n = a.cols(), r = a.rows();
    HEBB_CHECK(s.rows() == n && s.cols() == n, "gram: ", shape_str(a), " gives (", n, "x", n, "), not ",
               shape_str(s));
    // Block row i holds rows [i0, i1) of s from column i0 on: s[i0:i1, i0:n] = a[:, i0:i1]^T a[:, i0:n].
    constexpr Eigen::Index blocks = 4;
    const Eigen::Index step = (n + blocks - 1) / blocks;
    for (Eigen::Index i0 = 0; i0 < n; i0 += step) {
        const Eigen::Index rows = std::min(step, n - i0), cols = n - i0;
#ifdef HEBB_ONEDNN
        const float* block = a.data() + i0;  // columns i0.. of a, stored rows of length n
        onednn::sgemm(true, false, rows, cols, r, alpha, block, n, block, n, 0.0f, s.data() + i0 * n + i0, n);
#else
        s.block(i0, i0, rows, cols).noalias() = alpha * a.middleCols(i0, rows).transpose() * a.middleCols(i0, cols);
#endif
    }
    // The part left of each block row is the transpose of the column strip above it.
    for (Eigen::Index i0 = step; i0 < n; i0 += step) {
        const Eigen::Index rows = std::min(step, n - i0);
        s.block(i0, 0, rows, i0) = s.block(0, i0, i0, rows).transpose();
    }
}

const char* gemm_backend() {
#ifdef HEBB_ONEDNN
    return "onednn";
#else
    return "eigen";
#endif
}

}  // namespace hebb
