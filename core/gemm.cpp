#include "core/gemm.h"

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

const char* gemm_backend() {
#ifdef HEBB_ONEDNN
    return "onednn";
#else
    return "eigen";
#endif
}

}  // namespace hebb
