#include "datasets/file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <zlib.h>

#include "core/tensor.h"

namespace hebb::data {

std::string read_file(const std::string& path, size_t max_bytes) {
    // gzopen looks for the gzip magic 0x1f 0x8b itself and reads any other file as it is, so one loop
    // serves both.
    errno = 0;
    gzFile gz = gzopen(path.c_str(), "rb");
    HEBB_CHECK(gz != nullptr, path, ": cannot open: ", std::strerror(errno ? errno : ENOMEM));  // 0: no memory
    // One buffer, doubled whenever it is full (from 1 MiB), up to max_bytes + 1: one byte past the
    // limit is enough to know that the file holds too much.
    std::string bytes;
    size_t total = 0;
    int n = 0;
    do {
        if (total == bytes.size()) bytes.resize(std::min(std::max(2 * bytes.size(), size_t{1} << 20), max_bytes + 1));
        // gzread reads at most INT_MAX bytes a call.
        const auto want = static_cast<unsigned>(std::min(bytes.size() - total, size_t{1} << 30));
        n = gzread(gz, bytes.data() + total, want);
        total += n > 0 ? static_cast<size_t>(n) : 0;
    } while (n > 0 && total <= max_bytes);
    int code = Z_OK;
    std::string why = gzerror(gz, &code);  // Z_BUF_ERROR: the gzip stream ends early
    if (why.starts_with(path + ": ")) why.erase(0, path.size() + 2);  // zlib names the file too
    gzclose(gz);
    HEBB_CHECK(total <= max_bytes, path, ": holds more than ", max_bytes,
               " bytes (after gunzipping), more than hebb reads from one file");
    HEBB_CHECK(code != Z_ERRNO, path, ": read failed after ", total, " bytes: ", why);
    HEBB_CHECK(code == Z_OK, path, ": corrupt gzip data after ", total, " decompressed bytes: ", why);
    bytes.resize(total);
    return bytes;
}

}  // namespace hebb::data
