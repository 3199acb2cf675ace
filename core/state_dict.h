// Named arrays: what a module or an optimizer holds, by name, as files store it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace hebb {

// An array's shape on disk, PyTorch's: (rows, cols) for a weight, (n) for a bias held 1 x n, () for
// a 1x1 scalar, (out, C, k, k) for a conv weight held out x C*k*k.
using Shape = std::vector<Eigen::Index>;

// The disk shape of a matrix held as it is: (rows, cols).
inline Shape matrix_shape(const Matrix& m) { return {m.rows(), m.cols()}; }
std::string shape_str(const Shape& shape);  // "(6x1x5x5)", "(10)", "()"
// Whether `value` can be held under `shape`: rows the first dimension and cols the product of the
// others (1 x n for rank 1, 1 x 1 for rank 0).
bool holds(const Matrix& value, const Shape& shape);

// One named array: its values, and its shape on disk.
struct NamedArray {
    std::string name;
    Matrix value;
    Shape shape;
};
using StateDict = std::vector<NamedArray>;
using Metadata = std::map<std::string, std::string>;

}  // namespace hebb
