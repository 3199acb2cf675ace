#include "apps/progress.h"

#include <cstdio>
#include <unistd.h>

#include "parallel/communicator.h"

namespace hebb::app {

Progress::Progress(long total)
    : total_(total), terminal_(::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

void Progress::update(long done, const std::string& info, bool unit_done) {
    if (parallel::rank() > 0) return;  // in an MPI job rank 0 speaks for all
    const auto now = std::chrono::steady_clock::now();
    if (!terminal_) {
        if (!unit_done) return;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double left = done > 0 ? seconds / static_cast<double>(done) * static_cast<double>(total_ - done) : 0.0;
        if (left < 120.0)
            std::fprintf(stderr, "[%ld/%ld] %s: %.0f s, about %.0f s left\n", done, total_, info.c_str(), seconds, left);
        else
            std::fprintf(stderr, "[%ld/%ld] %s: %.0f s, about %.0f min left\n", done, total_, info.c_str(), seconds, left / 60.0);
        std::fflush(stderr);
        return;
    }
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "\r[%.*s%*s] %ld/%ld %s\033[K", filled, "##############################",
                 width - filled, "", done, total_, info.c_str());
    std::fflush(stderr);
}

void Progress::clear() {
    if (terminal_ && parallel::rank() == 0) std::fprintf(stderr, "\r\033[K");
}

}  // namespace hebb::app
