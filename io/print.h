// Tensors as text, the way PyTorch prints them (its default print options): entries with 4 decimals
// ("0.1000"), as "1." when all are whole numbers, or as "1.0000e-05" when the nonzero magnitudes
// span more than 1000x, reach 1e8 or (with decimals) go below 1e-4; right-aligned to one width;
// rows wrapped at 80 characters; past 1,000 entries only the first and last 3 rows and columns,
// with "..." between.
#pragma once

#include <iosfwd>
#include <string>

#include "core/tensor.h"

namespace hebb {

// A matrix as PyTorch prints a tensor without autograd, e.g. a gradient: format(w.grad()) ->
// "tensor([[ 0.1000, -0.2000],\n        [ 0.3000,  0.4000]])"; an empty one as "tensor([], size=(0, 3))".
std::string format(const Matrix& m);

// format(t.value()) with ", requires_grad=True" (a leaf that requires grad) or ", grad_fn=<op>" (an
// op's result on the graph, hebb's op name: "grad_fn=<mul>", not "<MulBackward0>") before the closing
// parenthesis; "tensor(undefined)" for an undefined tensor.
std::ostream& operator<<(std::ostream& out, const Tensor& t);

}  // namespace hebb
