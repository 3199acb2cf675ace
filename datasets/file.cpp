#include "datasets/file.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <zlib.h>

#include "core/tensor.h"

namespace hebb::data {

std::string read_file(const std::string& path) {
    // gzopen looks for the gzip magic 0x1f 0x8b itself and reads any other file as it is, so one loop
    // serves both.
    errno = 0;
    gzFile gz = gzopen(path.c_str(), "rb");
    HEBB_CHECK(gz != nullptr, path, ": cannot open: ", std::strerror(errno ? errno : ENOMEM));  // 0: no memory
    // Chunks are joined once the stream ends, so nothing is reserved beyond what arrived plus one chunk.
    constexpr unsigned chunk_size = 1u << 20;
    std::vector<std::string> chunks;
    size_t total = 0;
    for (;;) {
        std::string chunk(chunk_size, '\0');
        const int n = gzread(gz, chunk.data(), chunk_size);
        if (n <= 0) break;
        chunk.resize(static_cast<size_t>(n));
        total += chunk.size();
        chunks.push_back(std::move(chunk));
    }
    int code = Z_OK;
    std::string why = gzerror(gz, &code);  // Z_BUF_ERROR: the gzip stream ends early
    if (why.starts_with(path + ": ")) why.erase(0, path.size() + 2);  // zlib names the file too
    gzclose(gz);
    HEBB_CHECK(code != Z_ERRNO, path, ": read failed after ", total, " bytes: ", why);
    HEBB_CHECK(code == Z_OK, path, ": corrupt gzip data after ", total, " decompressed bytes: ", why);
    std::string bytes;
    bytes.reserve(total);
    for (const std::string& c : chunks) bytes += c;
    return bytes;
}

}  // namespace hebb::data
