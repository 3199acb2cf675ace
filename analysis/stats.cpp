#include "analysis/stats.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "core/tensor.h"

namespace hebb::analysis {

double student_t_within(double t, int dof) {
    HEBB_CHECK(dof >= 1, "student_t_within: dof must be a positive whole number, not ", dof);
    // With theta = atan(|t| / sqrt(dof)), c = cos^2 theta:
    //   odd dof:  (2/pi) (theta + sin theta cos theta (1 + 2/3 c + (2 4)/(3 5) c^2 + ... up to c^((dof-3)/2)))
    //   even dof: sin theta (1 + 1/2 c + (1 3)/(2 4) c^2 + ... up to c^((dof-2)/2))
    const double theta = std::atan(std::abs(t) / std::sqrt(static_cast<double>(dof)));
    const double c = std::cos(theta) * std::cos(theta), s = std::sin(theta);
    double sum = 1.0, term = 1.0;
    if (dof % 2 == 1) {
        if (dof == 1) return 2.0 / std::numbers::pi * theta;
        for (int j = 2; j <= dof - 3; j += 2) sum += term *= c * j / (j + 1);
        return 2.0 / std::numbers::pi * (theta + s * std::cos(theta) * sum);
    }
    for (int j = 1; j <= dof - 3; j += 2) sum += term *= c * j / (j + 1);
    return s * sum;
}

double student_t_quantile(double p, int dof) {
    HEBB_CHECK(p > 0.0 && p < 1.0, "student_t_quantile: p = ", p, " is not in (0, 1)");
    // P(T <= t) = 1/2 + within(t)/2 for t >= 0; bisection on within(t) = |2p - 1|.
    const double target = std::abs(2.0 * p - 1.0);
    double lo = 0.0, hi = 1.0;
    while (student_t_within(hi, dof) < target) hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
        const double mid = 0.5 * (lo + hi);
        (student_t_within(mid, dof) < target ? lo : hi) = mid;
    }
    const double t = 0.5 * (lo + hi);
    return p < 0.5 ? -t : t;
}

PairedComparison paired_t(std::span<const double> method, std::span<const double> baseline) {
    HEBB_CHECK(method.size() == baseline.size() && !method.empty(), "paired_t: ", method.size(), " results against ",
               baseline.size(), " baseline results; they must pair up, at least one each");
    PairedComparison r;
    const auto n = static_cast<double>(method.size());
    for (size_t i = 0; i < method.size(); ++i) {
        r.differences.push_back(method[i] - baseline[i]);
        r.mean += r.differences.back() / n;
        r.better += method[i] > baseline[i];
    }
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if (method.size() < 2) {
        r.low = r.high = r.p_value = nan;
        return r;
    }
    for (double d : r.differences) r.sd += (d - r.mean) * (d - r.mean) / (n - 1.0);
    r.sd = std::sqrt(r.sd);
    const int dof = static_cast<int>(method.size()) - 1;
    const double se = r.sd / std::sqrt(n), half = student_t_quantile(0.975, dof) * se;
    r.low = r.mean - half, r.high = r.mean + half;
    r.p_value = se > 0 ? 1.0 - student_t_within(r.mean / se, dof) : (r.mean == 0 ? 1.0 : 0.0);
    return r;
}

}  // namespace hebb::analysis
