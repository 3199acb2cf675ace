// Whole files into memory, gunzipped on the way when they are gzip streams.
#pragma once

#include <string>

namespace hebb::data {

// The bytes of the file at `path`, or, when it starts with the gzip magic 0x1f 0x8b, the bytes it
// decompresses to. Memory follows the bytes actually read (at most one 1 MiB chunk ahead), never a
// size that the file claims. Throws hebb::Error naming the file when it cannot be opened or read or
// its gzip stream is corrupt or cut short.
std::string read_file(const std::string& path);

}  // namespace hebb::data
