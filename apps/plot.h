// Line charts as SVG text, for learning curves.
#pragma once

#include <string>
#include <vector>

namespace hebb::app {

struct Series {
    std::string name;
    std::string color;  // any SVG colour
    std::vector<double> x, y;
};

struct Chart {
    std::string title;
    std::string x_label;
    std::vector<Series> series;
};

// Charts side by side in one SVG document, each 420 x 300 pixels.
std::string charts_svg(const std::vector<Chart>& charts);

}  // namespace hebb::app
