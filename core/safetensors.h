// Checkpoint files in the safetensors format: an 8-byte little-endian header length N, N bytes of
// JSON ({name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
// {string: string}}), then the raw little-endian float32 data, row-major, with no holes.
#pragma once

#include <map>
#include <string>
#include <string_view>
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

// Writes `bytes` to a temporary file in the same folder as `path`, flushes it to disk and renames it
// over `path`: a crash leaves either the old file or the new one, never half of one.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Writes to a temporary file in the same folder, flushes it to disk, then renames it over `path`,
// so a crash leaves either the old file or the new one, never half of one.
void save_safetensors(const std::string& path, const StateDict& arrays,
                      const Metadata& metadata = {});

struct SafetensorsFile {
    StateDict arrays;  // in file order
    Metadata metadata;
};
// Validates everything before trusting it (header length, JSON, dtype, shapes, offsets inside the
// data, without overlap or holes) and throws an Error naming the file and what is wrong.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace hebb
