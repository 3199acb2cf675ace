#include "apps/plot.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace hebb::app {

namespace {

constexpr double width = 420, height = 300, left = 60, right = 20, top = 52, bottom = 50;

// A range [lo, hi] covering all values, padded so that a flat line is still drawn.
std::pair<double, double> range(const std::vector<Series>& series, bool use_x) {
    double lo = INFINITY, hi = -INFINITY;
    for (const Series& s : series)
        for (double v : use_x ? s.x : s.y)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!std::isfinite(lo)) return {0, 1};
    if (hi - lo < 1e-12) return {lo - 0.5, hi + 0.5};
    return {lo, hi};
}

void chart(std::ostringstream& out, const Chart& c, double offset) {
    const auto [x0, x1] = range(c.series, true);
    auto [y0, y1] = range(c.series, false);
    const double pad = (y1 - y0) * 0.05;
    y0 -= pad, y1 += pad;
    const auto px = [&](double x) { return offset + left + (x - x0) / (x1 - x0) * (width - left - right); };
    const auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * (height - top - bottom); };

    out << "<text x='" << offset + width / 2 << "' y='22' text-anchor='middle' font-size='15'>" << c.title << "</text>\n";
    out << "<rect x='" << offset + left << "' y='" << top << "' width='" << width - left - right
        << "' height='" << height - top - bottom << "' fill='none' stroke='#888'/>\n";
    for (int i = 0; i <= 4; ++i) {  // five ticks on each axis
        const double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
        out << "<text x='" << offset + left - 6 << "' y='" << py(yv) + 4
            << "' text-anchor='end' font-size='11'>" << yv << "</text>\n";
        out << "<text x='" << px(xv) << "' y='" << height - bottom + 16
            << "' text-anchor='middle' font-size='11'>" << xv << "</text>\n";
    }
    out << "<text x='" << offset + width / 2 << "' y='" << height - 12
        << "' text-anchor='middle' font-size='12'>" << c.x_label << "</text>\n";
    double legend_x = offset + left;  // the legend runs along the top, above the plot
    for (const Series& s : c.series) {
        out << "<polyline fill='none' stroke='" << s.color << "' stroke-width='2' points='";
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
            if (std::isfinite(s.y[i])) out << px(s.x[i]) << "," << py(s.y[i]) << " ";
        out << "'/>\n";
        out << "<text x='" << legend_x << "' y='" << top - 8 << "' font-size='12' fill='" << s.color << "'>"
            << s.name << "</text>\n";
        legend_x += 12 + 7 * static_cast<double>(s.name.size());
    }
}

}  // namespace

std::string charts_svg(const std::vector<Chart>& charts) {
    std::ostringstream out;
    out.precision(4);
    out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width * static_cast<double>(charts.size())
        << "' height='" << height << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
    for (size_t i = 0; i < charts.size(); ++i) chart(out, charts[i], width * static_cast<double>(i));
    out << "</svg>\n";
    return out.str();
}

}  // namespace hebb::app
