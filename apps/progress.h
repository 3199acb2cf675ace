// Progress of long work on stderr: on a terminal a bar, redrawn in place; otherwise (a log file, a
// pipe) a line for each unit of work the caller marks as done, with the time it expects is left.
#pragma once

#include <chrono>
#include <string>

namespace hebb::app {

class Progress {
public:
    explicit Progress(long total);
    // `done` of `total` steps; `unit_done` marks the end of a unit of work (a model, a layer), which
    // off a terminal prints "[done/total] info: 12 s, about 3 min left" (or "40 s left").
    void update(long done, const std::string& info, bool unit_done = false);
    void clear();  // erases the bar before a line is printed

private:
    long total_;
    bool terminal_;
    std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace hebb::app
