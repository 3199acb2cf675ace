// Checks an analytical gradient against central finite differences.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace hebb {

struct GradcheckResult {
    bool ok = true;
    double max_abs_error = 0.0;  // max |analytical - numerical| over all checked entries
    std::string worst;           // the entry with the largest error relative to its tolerance
};

// fn maps copies of `inputs` to a tensor of any shape, which is reduced to the scalar
// sum(out * R) with a fixed random R, so every output entry contributes. Each input entry x is
// moved by +-eps; (f(x + eps) - f(x - eps)) / 2 eps must match the analytical gradient within
// atol + rtol * |numerical|. Float precision limits eps: 1e-2 keeps rounding well under 1e-3.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, float eps = 1e-2f, double atol = 1e-3,
                          double rtol = 5e-3);

}  // namespace hebb
