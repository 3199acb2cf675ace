// Whole files in and out: reading (gunzipped on the way when they are gzip streams) with a size
// limit, and writing so that a crash never leaves half a file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hebb {

// The most read_file returns by default: 2 GiB (Fashion-MNIST's training images are 47 MB); the limit
// stops a gzip bomb (a 2 MB file can inflate to 2 GB) before it takes the machine's memory.
inline constexpr size_t max_file_bytes = size_t{2} << 30;

// The bytes of the file at `path`, or, when it starts with the gzip magic 0x1f 0x8b, the bytes it
// decompresses to. The buffer starts at the size the file states (on disk, or in a gzip trailer,
// bounded by deflate's largest ratio) and doubles while more follows, so a lying trailer costs at
// most 1032 times the file's size. Throws hebb::Error naming the file when it cannot be opened or
// read, its gzip stream is corrupt or cut short, or it holds more than `max_bytes` bytes.
std::string read_file(const std::string& path, size_t max_bytes = max_file_bytes);

// Writes `bytes` to a temporary file in the same folder as `path`, flushes it to disk and renames it
// over `path`: a crash leaves either the old file or the new one, never half of one.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Creates the folder `path` (and its parents) and checks that a file can be written there, before
// any work whose results would go there; errors name `flag` ("--out") and the path.
void prepare_output_folder(const std::string& path, const std::string& flag);

}  // namespace hebb
