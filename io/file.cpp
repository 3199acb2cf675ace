#include "io/file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/tensor.h"

namespace hebb {

namespace {

// The size the file states for what it holds: a gzip stream's trailer (its last 4 bytes, the size
// modulo 2^32) or the size on disk. A trailer cannot claim more than deflate's largest ratio, 1032
// to 1, of the file's size. 0 when it cannot be read.
size_t stated_size(const std::string& path, bool gzip) {
    std::error_code ec;
    const std::uintmax_t on_disk = std::filesystem::file_size(path, ec);
    if (ec) return 0;
    if (!gzip) return on_disk;
    std::ifstream in(path, std::ios::binary);
    unsigned char trailer[4] = {};
    if (on_disk < 18 || !in.seekg(-4, std::ios::end) || !in.read(reinterpret_cast<char*>(trailer), 4)) return 0;
    const std::uintmax_t size = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | std::uintmax_t{trailer[3]} << 24;
    return std::min(size, 1032 * on_disk);
}

}  // namespace

std::string read_file(const std::string& path, size_t max_bytes) {
    // gzopen looks for the gzip magic 0x1f 0x8b itself and reads any other file as it is, so one loop
    // serves both.
    errno = 0;
    gzFile gz = gzopen(path.c_str(), "rb");
    HEBB_CHECK(gz != nullptr, path, ": cannot open: ", std::strerror(errno ? errno : ENOMEM));  // 0: no memory
    // One buffer of the stated size and one byte more (then one read reaches the end), doubled
    // whenever it is full (from 1 MiB), up to max_bytes + 1: one byte past the limit is enough to
    // know that the file holds too much.
    std::string bytes(std::min(stated_size(path, !gzdirect(gz)), max_bytes) + 1, '\0');
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

void write_file_atomic(const std::string& path, std::string_view bytes) {
    std::string tmp = path + ".tmp.XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    HEBB_CHECK(fd >= 0, path, ": cannot create a temporary file beside it: ", std::strerror(errno));
    const auto give_up = [&](const char* what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(tmp, ": ", what, " failed: ", std::strerror(err));
    };
    if (::fchmod(fd, 0644) != 0) give_up("chmod");  // mkstemp makes it private
    for (size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) give_up("write");
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) give_up("fsync");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(tmp, ": close failed: ", std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(path, ": cannot rename the temporary file over it: ", std::strerror(err));
    }
}

void prepare_output_folder(const std::string& path, const std::string& flag) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    HEBB_CHECK(!ec, flag, " ", path, ": cannot create the folder: ", ec.message());
    const std::string probe = (std::filesystem::path(path) / ".write-test").string();
    write_file_atomic(probe, "");
    std::filesystem::remove(probe, ec);
}

}  // namespace hebb
