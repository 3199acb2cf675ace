// Comparing two methods run on the same draws (same samples, same initial weights): the paired
// differences, a Student t interval for their mean, and the two-sided p-value of "mean 0".
#pragma once

#include <span>
#include <vector>

namespace hebb::analysis {

// P(|T| <= t) for Student's t with `dof` (a positive whole number) degrees of freedom, from the
// closed forms for whole dof (Abramowitz and Stegun 26.7.3 and 26.7.4). t < 0 reads as |t|.
double student_t_within(double t, int dof);

// The t with P(T <= t) = p, for p in (0, 1).
double student_t_quantile(double p, int dof);

struct PairedComparison {
    std::vector<double> differences;  // method[i] - baseline[i]
    double mean = 0.0;
    double sd = 0.0;                  // sample standard deviation (n - 1)
    double low = 0.0, high = 0.0;     // the 95 % t interval of the mean; NaN for fewer than 2 pairs
    double p_value = 0.0;             // two-sided, mean 0; NaN for fewer than 2 pairs, 1 when sd is 0 and the mean 0
    int better = 0;                   // pairs where the method is strictly ahead
};

// Paired comparison of `method` against `baseline` (same length, at least one pair).
PairedComparison paired_t(std::span<const double> method, std::span<const double> baseline);

}  // namespace hebb::analysis
