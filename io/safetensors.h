// Checkpoint files in the safetensors format: an 8-byte little-endian header length N, N bytes of
// JSON ({name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
// {string: string}}), then the raw little-endian float32 data, row-major, with no holes.
#pragma once

#include <string>

#include "core/state_dict.h"

namespace hebb {

// Written through write_file_atomic: a crash leaves either the old file or the new one.
void save_safetensors(const std::string& path, const StateDict& arrays, const Metadata& metadata = {});

struct SafetensorsFile {
    StateDict arrays;  // in the order of their data in the file
    Metadata metadata;
};
// Validates everything before trusting it (header length, JSON, dtype, shapes, offsets inside the
// data, without overlap or holes) and throws an Error naming the file and what is wrong. Refuses a
// path that is not a regular file before opening it. Takes time linear in the header's size (with a
// log factor: its keys are sorted).
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace hebb
