#include "io/file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

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

// Reads from `gz` until `size` bytes are in `buffer` or the stream ends; returns how many came.
// gzread reads at most INT_MAX bytes a call.
size_t read_into(gzFile gz, char* buffer, size_t size) {
    size_t total = 0;
    for (int n = 1; n > 0 && total < size; total += n > 0 ? static_cast<size_t>(n) : 0)
        n = gzread(gz, buffer + total, static_cast<unsigned>(std::min(size - total, size_t{1} << 30)));
    return total;
}

// How many bytes `gz` still holds, counted through a 1 MiB scratch buffer, stopping past `limit`.
size_t count_rest(gzFile gz, size_t limit) {
    std::string scratch(size_t{1} << 20, '\0');
    size_t total = 0;
    for (size_t n = 1; n > 0 && total <= limit; total += n) n = read_into(gz, scratch.data(), scratch.size());
    return total;
}

}  // namespace

void check_memory(const std::string& what, double bytes) {
    if (bytes <= max_memory_bytes) return;
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.3g", bytes / double(size_t{1} << 30));
    fail(what, " would need ", bytes < 1e18 ? std::to_string(static_cast<long long>(bytes)) : "more than 10^18",
         " bytes (", gib, " GiB), more than the 8 GiB hebb allocates for one input");
}

void check_regular_file(const std::string& path) {
    struct stat info {};
    HEBB_CHECK(::stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode), path,
               ": not a regular file; hebb reads files, not folders, pipes or devices");
}

std::string read_file(const std::string& path, size_t max_bytes) {
    check_regular_file(path);
    // gzopen looks for the gzip magic 0x1f 0x8b itself and reads any other file as it is, so one loop
    // serves both.
    errno = 0;
    const std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), gzclose);
    gzFile gz = file.get();
    HEBB_CHECK(gz != nullptr, path, ": cannot open: ", std::strerror(errno ? errno : ENOMEM));  // 0: no memory
    // The stated size and one byte more: one read then reaches the end, and one byte past the limit
    // is enough to know that the file holds too much.
    std::string bytes(std::min(stated_size(path, !gzdirect(gz)), max_bytes) + 1, '\0');
    size_t total = read_into(gz, bytes.data(), bytes.size());
    if (total == bytes.size() && total <= max_bytes) {
        // More follows than stated: count it, then read it all again into a buffer of the exact size
        // (growing the first one would hold both for a while, or, with std::string's doubling, more).
        total += count_rest(gz, max_bytes - total);
        std::string().swap(bytes);
        if (total <= max_bytes) {
            HEBB_CHECK(gzrewind(gz) == 0, path, ": cannot read it again from the start");
            bytes.assign(total, '\0');
            total = read_into(gz, bytes.data(), total);
        }
    }
    int code = Z_OK;
    std::string why = gzerror(gz, &code);  // Z_BUF_ERROR: the gzip stream ends early
    if (why.starts_with(path + ": ")) why.erase(0, path.size() + 2);  // zlib names the file too
    HEBB_CHECK(total <= max_bytes, path, ": holds more than ", max_bytes,
               " bytes (after gunzipping), more than hebb reads from one file");
    HEBB_CHECK(code != Z_ERRNO, path, ": read failed after ", total, " bytes: ", why);
    HEBB_CHECK(code == Z_OK, path, ": corrupt gzip data after ", total, " decompressed bytes: ", why);
    bytes.resize(total);  // smaller when the file shrank while it was read
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
