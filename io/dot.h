// The computation graph behind a tensor in Graphviz's dot language, to see what backward() walks:
// write it to a file and draw it with `dot -Tsvg graph.dot -o graph.svg`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace hebb {

// One node per tensor that `root` was computed from, and root itself, labelled with its op and shape
// ("linear\n(64x10)"); a tensor made by no op on the graph is a box, a filled one labelled
// "parameter" when it requires grad (or by its name when `names` has it, e.g. given
// module.named_parameters(): "0.weight\n(10x64)") and "input" otherwise. An edge runs from each
// parent to its result, once per use (mul(x, x) has two).
std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& names = {});

}  // namespace hebb
