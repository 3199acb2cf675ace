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

// The most memory hebb allocates for what one input asks for (a data set, a batch, an image folder, a
// model's weights): 8 GiB. A size read from a file or a flag is checked against it before anything
// is allocated, so an absurd one is an error naming it, not std::bad_alloc after gigabytes.
inline constexpr double max_memory_bytes = double(size_t{8} << 30);

// Throws hebb::Error "<what> would need <bytes> bytes (<GiB> GiB), more than the 8 GiB hebb
// allocates for one input" unless `bytes` (a product computed in double, so it cannot overflow)
// is at most max_memory_bytes.
void check_memory(const std::string& what, double bytes);

// Throws hebb::Error "<path>: not a regular file" when `path` exists but is a folder, a FIFO, a
// socket or a device (/dev/zero, /dev/stdin on a terminal): reading one would hang or never end.
// A path that does not exist passes; opening it reports that.
void check_regular_file(const std::string& path);

// The bytes of the regular file at `path`, or, when it starts with the gzip magic 0x1f 0x8b, the
// bytes it decompresses to. The buffer has the size the file states (on disk, or in a gzip trailer,
// bounded by deflate's largest ratio and by `max_bytes`) and one byte more; when more than that
// follows (a trailer that lies), the rest is counted, the buffer freed and the file read again into
// one of the exact size, so memory never exceeds max_bytes + 1 bytes and a 1 MiB scratch buffer.
// Throws hebb::Error naming the file when it is not a regular file, cannot be opened or read, its
// gzip stream is corrupt or cut short, or it holds more than `max_bytes` bytes.
std::string read_file(const std::string& path, size_t max_bytes = max_file_bytes);

// Writes `bytes` to a temporary file in the same folder as `path`, flushes it to disk and renames it
// over `path`: a crash leaves either the old file or the new one, never half of one.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Creates the folder `path` (and its parents) and checks that a file can be written there, before
// any work whose results would go there; errors name `flag` ("--out") and the path.
void prepare_output_folder(const std::string& path, const std::string& flag);

}  // namespace hebb
