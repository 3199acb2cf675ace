#include "apps/progress.h"

#include <cstdio>
#include <unistd.h>

namespace hebb::app {

Progress::Progress(long total) : total_(total), enabled_(::isatty(STDERR_FILENO)) {}

void Progress::update(long done, const std::string& info) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "\r[%.*s%*s] %ld/%ld %s\033[K", filled, "##############################",
                 width - filled, "", done, total_, info.c_str());
    std::fflush(stderr);
}

void Progress::clear() {
    if (enabled_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace hebb::app
