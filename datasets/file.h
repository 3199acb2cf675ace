// Whole files into memory, gunzipped on the way when they are gzip streams.
#pragma once

#include <cstddef>
#include <string>

namespace hebb::data {

// The most read_file returns by default: 2 GiB. hebb holds a dataset in memory as floats, 4 bytes for
// each IDX byte, so this is already an 8 GiB matrix (Fashion-MNIST's training images are 47 MB); the
// limit stops a gzip bomb (a 2 MB file can inflate to 2 GB) before it takes the machine's memory.
inline constexpr size_t max_file_bytes = size_t{2} << 30;

// The bytes of the file at `path`, or, when it starts with the gzip magic 0x1f 0x8b, the bytes it
// decompresses to. Memory follows the bytes actually read (a buffer at most twice their size),
// never a size that the file claims. Throws hebb::Error naming the file when it cannot be opened or
// read, its gzip stream is corrupt or cut short, or it holds more than `max_bytes` bytes.
std::string read_file(const std::string& path, size_t max_bytes = max_file_bytes);

}  // namespace hebb::data
