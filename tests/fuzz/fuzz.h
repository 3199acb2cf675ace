// What the libFuzzer targets share. hebb's readers take paths, so each input is written to a file in
// a private folder of this process (made on first use under $TMPDIR or /tmp, removed at exit) and
// read from there; the file is rewritten for every input.
//
// A reader may refuse an input only by throwing hebb::Error; each target catches that and nothing
// else, so any other exception, a sanitizer report, a broken invariant (FUZZ_CHECK) or a timeout is
// a crash that libFuzzer reports and saves.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "core/tensor.h"

// An invariant of a successfully read result; breaking it aborts, which libFuzzer reports.
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)

namespace fuzz {

// This process's folder, e.g. /tmp/hebb-fuzz-Ab12Cd/, with a trailing '/'. Held in a plain array,
// which nothing destroys before the exit handler that removes the folder reads it.
inline std::string temp_dir() {
    static char dir[4096] = "";
    if (!*dir) {
        const char* base = std::getenv("TMPDIR");
        std::snprintf(dir, sizeof dir - 1, "%s/hebb-fuzz-XXXXXX", base && *base ? base : "/tmp");
        if (!::mkdtemp(dir)) {
            std::perror("mkdtemp");
            std::abort();
        }
        std::atexit([] { std::error_code ignored; std::filesystem::remove_all(dir, ignored); });
        std::strcat(dir, "/");
    }
    return dir;
}

// Writes `size` bytes to `path`, replacing what was there. A failure here is the harness's own,
// not hebb's, so it aborts with a message.
inline void write_file(const std::string& path, const std::uint8_t* data, size_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < size;) {
        const ssize_t n = ::write(fd, data + done, size - done);
        ok = n > 0;
        done += ok ? static_cast<size_t>(n) : 0;
    }
    if (fd < 0 || ::close(fd) != 0 || !ok) {
        std::perror(path.c_str());
        std::abort();
    }
}

}  // namespace fuzz
