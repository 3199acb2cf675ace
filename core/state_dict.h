// Named arrays: what a module or an optimizer holds, by name, as files store it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace hebb {

// One named array. Its shape on disk has `rank` dimensions: 2 is (rows, cols); 1 is (cols) for a
// 1 x n value, as PyTorch stores a bias; 0 is () for a 1x1 value.
struct NamedArray {
    std::string name;
    Matrix value;
    int rank = 2;
};
using StateDict = std::vector<NamedArray>;
using Metadata = std::map<std::string, std::string>;

}  // namespace hebb
