// A progress bar on stderr when it is a terminal; nothing otherwise.
#pragma once

#include <chrono>
#include <string>

namespace hebb::app {

class Progress {
public:
    explicit Progress(long total);
    void update(long done, const std::string& info);  // redraws at most 10 times a second
    void clear();                                      // erases the bar before a line is printed

private:
    long total_;
    bool enabled_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace hebb::app
