#include "core/gradcheck.h"

#include <cmath>
#include <sstream>

#include "core/ops.h"
#include "core/random.h"

namespace hebb {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, float eps, double atol, double rtol) {
    std::vector<Tensor> leaves;
    for (const Tensor& x : inputs) leaves.emplace_back(x.value(), true);

    const Tensor out = fn(leaves);
    Generator gen(12345);
    const Matrix projection = rand(out.rows(), out.cols(), gen).value().array() * 2.0f - 1.0f;
    sum(mul(out, Tensor(projection))).backward();

    // The projected output, summed in double so that only the output's own rounding remains.
    const auto f = [&] {
        NoGradGuard no_grad;
        const Matrix y = fn(leaves).value();
        return (y.cast<double>().array() * projection.cast<double>().array()).sum();
    };

    GradcheckResult result;
    double worst_ratio = 0.0;
    for (size_t i = 0; i < leaves.size(); ++i) {
        Matrix& x = leaves[i].value();
        const Matrix analytical =
            leaves[i].has_grad() ? leaves[i].grad() : Matrix::Zero(x.rows(), x.cols());
        for (Eigen::Index r = 0; r < x.rows(); ++r) {
            for (Eigen::Index c = 0; c < x.cols(); ++c) {
                const float saved = x(r, c);
                x(r, c) = saved + eps;
                const double up = f();
                x(r, c) = saved - eps;
                const double down = f();
                x(r, c) = saved;
                const double numerical = (up - down) / (2.0 * static_cast<double>(eps));
                const double error = std::abs(analytical(r, c) - numerical);
                const double ratio = error / (atol + rtol * std::abs(numerical));
                result.max_abs_error = std::max(result.max_abs_error, error);
                if (ratio > worst_ratio) {
                    worst_ratio = ratio;
                    std::ostringstream where;
                    where << "input " << i << " entry (" << r << "," << c << "): analytical "
                          << analytical(r, c) << ", numerical " << numerical;
                    result.worst = where.str();
                }
                if (ratio > 1.0) result.ok = false;
            }
        }
    }
    return result;
}

}  // namespace hebb
