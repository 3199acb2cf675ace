#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "analysis/stats.h"
#include "core/tensor.h"

using namespace hebb;

// Reference values: two-sided 95 % critical values of Student's t from the standard tables
// (1: 12.7062, 2: 4.3027, 4: 2.7764, 9: 2.2622, 30: 2.0423) and P(|T| <= 2) for 5 dof,
// 0.898061 (1 - 0.101939, the two-sided p-value of t = 2).
TEST_CASE("Student t quantiles and probabilities match the tables", "[stats]") {
    CHECK(analysis::student_t_quantile(0.975, 1) == Approx(12.706205).epsilon(1e-6));
    CHECK(analysis::student_t_quantile(0.975, 2) == Approx(4.302653).epsilon(1e-6));
    CHECK(analysis::student_t_quantile(0.975, 4) == Approx(2.776445).epsilon(1e-6));
    CHECK(analysis::student_t_quantile(0.975, 9) == Approx(2.262157).epsilon(1e-6));
    CHECK(analysis::student_t_quantile(0.975, 30) == Approx(2.042272).epsilon(1e-6));
    CHECK(analysis::student_t_quantile(0.025, 4) == Approx(-2.776445).epsilon(1e-6));
    CHECK(analysis::student_t_quantile(0.5, 3) == Approx(0.0).margin(1e-9));
    CHECK(analysis::student_t_within(2.0, 5) == Approx(0.898061).epsilon(1e-6));
    CHECK(analysis::student_t_within(-2.0, 5) == Approx(0.898061).epsilon(1e-6));
    CHECK(analysis::student_t_within(1.0, 1) == Approx(0.5).epsilon(1e-12));  // Cauchy: atan(1) / (pi/2)
    CHECK(analysis::student_t_within(1.0, 2) == Approx(1.0 / std::sqrt(3.0)).epsilon(1e-12));
    CHECK_THROWS_WITH(analysis::student_t_within(1.0, 0), Catch::Contains("dof must be a positive whole number"));
    CHECK_THROWS_WITH(analysis::student_t_quantile(1.0, 3), Catch::Contains("not in (0, 1)"));
}

TEST_CASE("paired_t compares a method with its baseline draw by draw", "[stats]") {
    // Differences 1, 2, 3: mean 2, sd 1, se 1/sqrt(3), t = 2 sqrt(3) = 3.4641 with 2 dof:
    // p = 1 - 3.4641 / sqrt(2 + 12) = 0.074180, interval 2 -+ 4.302653 / sqrt(3).
    const std::vector<double> base{10, 20, 30}, method{11, 22, 33};
    const analysis::PairedComparison r = analysis::paired_t(method, base);
    CHECK(r.differences == std::vector<double>{1, 2, 3});
    CHECK(r.mean == Approx(2.0));
    CHECK(r.sd == Approx(1.0));
    CHECK(r.p_value == Approx(0.074180).epsilon(1e-5));
    CHECK(r.low == Approx(2.0 - 4.302653 / std::sqrt(3.0)).epsilon(1e-6));
    CHECK(r.high == Approx(2.0 + 4.302653 / std::sqrt(3.0)).epsilon(1e-6));
    CHECK(r.better == 3);

    const std::vector<double> same{1, 2};
    const analysis::PairedComparison tie = analysis::paired_t(same, same);
    CHECK(tie.p_value == 1.0);
    CHECK(tie.better == 0);
    const std::vector<double> one{1}, other{0};
    CHECK(std::isnan(analysis::paired_t(one, other).low));
    CHECK_THROWS_WITH(analysis::paired_t(one, same), Catch::Contains("1 results against 2 baseline results"));
}
