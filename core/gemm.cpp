#include "core/gemm.h"

#include <algorithm>

#ifdef HEBB_ONEDNN
#include <dnnl.h>
#endif

namespace hebb {

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
    // Row-major, as hebb's matrices; the leading dimension of each is its stored row length.
    const dnnl_status_t status = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha,
                                            a.data(), a.cols(), b.data(), b.cols(), beta, c.data(), c.cols());
    HEBB_CHECK(status == dnnl_success, "gemm: oneDNN's sgemm failed with status ", static_cast<int>(status),
               " for ", shape_str(c));
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
        const dnnl_status_t status = dnnl_sgemm('T', 'N', rows, cols, r, alpha, block, n, block, n, 0.0f,
                                                s.data() + i0 * n + i0, n);
        HEBB_CHECK(status == dnnl_success, "gram: oneDNN's sgemm failed with status ", static_cast<int>(status),
                   " for ", shape_str(s));
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
