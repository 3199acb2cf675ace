#include "analysis/pictures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stb/stb_image_write.h>

#include "core/tensor.h"

namespace hebb::analysis {

namespace {

// Piecewise linear through evenly spaced anchors, t clamped to [0, 1].
template <size_t N>
Rgb interpolate(const std::array<Rgb, N>& anchors, double t) {
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) * static_cast<double>(N - 1) : 0.0;
    const size_t i = std::min(static_cast<size_t>(t), N - 2);
    const double f = t - static_cast<double>(i);
    const auto mix = [&](std::uint8_t a, std::uint8_t b) {
        return static_cast<std::uint8_t>(std::lround(a + f * (static_cast<double>(b) - a)));
    };
    return {mix(anchors[i].r, anchors[i + 1].r), mix(anchors[i].g, anchors[i + 1].g), mix(anchors[i].b, anchors[i + 1].b)};
}

// The charts' geometry in pixels: each chart's size, and the margins around its plot box.
constexpr double width = 420, height = 300, left = 62, right = 16, top = 36, bottom = 46;
constexpr double box_w = width - left - right, box_h = height - top - bottom;
// The legend: 11 px text at most 6.5 px a character, 15 px a row, a 28 px colour swatch before each
// name, 6 px from the plot box's edges.
constexpr double char_w = 6.5, row_h = 15, swatch = 28, inset = 6;
constexpr size_t max_marked = 50;

// Where each UTF-8 character of `text` begins.
std::vector<size_t> char_starts(const std::string& text) {
    std::vector<size_t> starts;
    for (size_t i = 0; i < text.size(); ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
    return starts;
}

// `text` in at most n characters, the last one "…" when it is cut.
std::string shortened(const std::string& text, size_t n) {
    const std::vector<size_t> starts = char_starts(text);
    if (starts.size() <= n) return text;
    return n == 0 ? "" : text.substr(0, starts[n - 1]) + "\u2026";
}

// A tick value as people write it: 0.05, 20, 1.5k, 2M, with the decimals that `step` (the spacing
// of the ticks; on a log axis the value itself) needs.
std::string tick_text(double v, double step) {
    double unit = 1;
    const char* suffix = "";
    if (std::abs(v) >= 1e9) unit = 1e9, suffix = "G";
    else if (std::abs(v) >= 1e6) unit = 1e6, suffix = "M";
    else if (std::abs(v) >= 1e3) unit = 1e3, suffix = "k";
    std::ostringstream text;
    text << std::fixed;
    text.precision(std::max(0, -static_cast<int>(std::floor(std::log10(step / unit) + 1e-9))));
    text << v / unit + 0.0 << suffix;  // + 0.0: no "-0"
    return text.str();
}

// An axis in its own units (log10 of the value on a log axis): the drawn range and the ticks.
struct Axis {
    bool log = false;
    double lo = 0, hi = 1;
    std::vector<double> ticks{};
    std::vector<std::string> labels{};
    double at(double v) const { return log ? std::log10(v) : v; }  // not finite for v <= 0 on a log axis
};

// Ticks from lo to hi, 1, 2 or 5 x 10^k apart (the smallest such spacing at least a fifth of the
// range, and at least `min_step`), with their labels.
void nice_ticks(double lo, double hi, double min_step, std::vector<double>& ticks, std::vector<std::string>& labels) {
    const double raw = (hi - lo) / 5, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double r = raw / magnitude;
    const double step = std::max((r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude, min_step);
    // At most 6 fit; the bound also ends the loop where k is too large for ++k to change it.
    const double first = std::ceil(lo / step);
    for (int i = 0; i < 6 && (first + i) * step <= hi; ++i) {
        ticks.push_back((first + i) * step);
        labels.push_back(tick_text((first + i) * step, step));
    }
}

// The axis covering `values`, padded by 4 % each side (a flat range by 0.5, or a factor 2 on a log
// axis). Two things are read from the values: when all are whole numbers (epochs, counts) the ticks
// are too, and when none is negative (a loss, an accuracy) a linear axis does not go below 0.
Axis make_axis(const std::vector<double>& values, bool log) {
    Axis a{log};
    double lo = INFINITY, hi = -INFINITY;
    bool whole = true, non_negative = true;
    for (double v : values)
        if (std::isfinite(a.at(v))) {
            lo = std::min(lo, a.at(v)), hi = std::max(hi, a.at(v));
            whole = whole && v == std::round(v), non_negative = non_negative && v >= 0;
        }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    const double pad = hi - lo < 1e-12 ? (log ? std::log10(2.0) : 0.5) : 0.04 * (hi - lo);
    a.lo = lo - pad, a.hi = hi + pad;
    const double min_step = whole ? 1 : 0;
    if (!log) {
        if (non_negative) a.lo = std::max(a.lo, 0.0);
        nice_ticks(a.lo, a.hi, min_step, a.ticks, a.labels);
        return a;
    }
    // 10^k where three fall in the range, else 1, 2, 5 x 10^k where three do, else (a range too
    // narrow for either) evenly spaced values as on a linear axis.
    for (const std::vector<double>& mantissas : {std::vector<double>{1}, std::vector<double>{1, 2, 5}}) {
        a.ticks.clear();
        for (double k = std::floor(a.lo); k <= std::ceil(a.hi); ++k)
            for (double m : mantissas)
                if (k + std::log10(m) >= a.lo && k + std::log10(m) <= a.hi) a.ticks.push_back(k + std::log10(m));
        if (a.ticks.size() >= 3) {
            for (double t : a.ticks) a.labels.push_back(tick_text(std::pow(10.0, t), std::pow(10.0, t)));
            return a;
        }
    }
    std::vector<double> values_at;
    nice_ticks(std::pow(10.0, a.lo), std::pow(10.0, a.hi), min_step, values_at, a.labels);
    a.ticks.clear();
    for (double v : values_at) a.ticks.push_back(std::log10(v));
    return a;
}

struct Point {
    double x, y;
};

// The legend: one row per series, in columns of as many rows as fit the plot box, each column at
// most its share of the box's width; placed where it covers the fewest of `drawn` (points along the
// lines, in pixels): a corner of the plot box, else halfway down its right or left side.
void legend(std::ostringstream& out, const std::vector<Series>& series, const std::vector<Point>& drawn, double box_x,
            double box_y) {
    const size_t n = series.size();
    const auto per_column = static_cast<size_t>(std::max(1.0, std::floor((box_h - 2 * inset - 6) / row_h)));
    const size_t columns = (n + per_column - 1) / per_column, rows = (n + columns - 1) / columns;
    size_t longest = 0;
    for (const Series& s : series) longest = std::max(longest, char_starts(s.name).size());
    const double column_w = std::min(swatch + 6 + char_w * static_cast<double>(longest),
                                     (box_w - 2 * inset) / static_cast<double>(columns));
    const auto fit = static_cast<size_t>(std::max(0.0, std::floor((column_w - swatch - 6) / char_w)));
    const double w = column_w * static_cast<double>(columns), h = row_h * static_cast<double>(rows) + 6;

    const double right_x = box_x + box_w - inset - w, left_x = box_x + inset;
    const double top_y = box_y + inset, bottom_y = box_y + box_h - inset - h, middle_y = box_y + (box_h - h) / 2;
    const std::array<Point, 6> places{
        {{right_x, top_y}, {right_x, bottom_y}, {left_x, top_y}, {left_x, bottom_y}, {right_x, middle_y}, {left_x, middle_y}}};
    Point at = places[0];
    size_t fewest = SIZE_MAX;
    for (const Point& c : places) {
        const auto covered = static_cast<size_t>(std::count_if(drawn.begin(), drawn.end(), [&](const Point& p) {
            return p.x >= c.x && p.x <= c.x + w && p.y >= c.y && p.y <= c.y + h;
        }));
        if (covered < fewest) fewest = covered, at = c;
    }
    out << "<rect class='legend' x='" << at.x << "' y='" << at.y << "' width='" << w << "' height='" << h
        << "' fill='white' fill-opacity='0.85' stroke='#bbb'/>\n";
    for (size_t i = 0; i < n; ++i) {
        const double x = at.x + column_w * static_cast<double>(i / rows) + 4;
        const double y = at.y + 3 + row_h * (static_cast<double>(i % rows) + 0.5);
        const std::string& color = series[i].color;
        out << "<line x1='" << x << "' y1='" << y << "' x2='" << x + 18 << "' y2='" << y << "' stroke='" << color
            << "' stroke-width='2'/><circle cx='" << x + 9 << "' cy='" << y << "' r='2.5' fill='" << color << "'/>\n";
        out << "<text x='" << x + swatch - 4 << "' y='" << y + 4 << "' font-size='11'>"
            << xml_escape(shortened(series[i].name, fit)) << "</text>\n";
    }
}

// One chart with its top-left corner at (ox, oy).
void chart(std::ostringstream& out, const Chart& c, double ox, double oy) {
    std::vector<double> xs, ys;
    for (const Series& s : c.series) {
        HEBB_CHECK(s.x.size() == s.y.size() && (s.y_low.empty() || s.y_low.size() == s.y.size()) &&
                       s.y_low.size() == s.y_high.size(),
                   "charts_svg: series '", s.name, "' has ", s.x.size(), " x, ", s.y.size(), " y, ", s.y_low.size(),
                   " y_low and ", s.y_high.size(), " y_high values");
        xs.insert(xs.end(), s.x.begin(), s.x.end());
        for (const std::vector<double>* v : {&s.y, &s.y_low, &s.y_high}) ys.insert(ys.end(), v->begin(), v->end());
    }
    const Axis ax = make_axis(xs, c.log_x), ay = make_axis(ys, false);
    const double box_x = ox + left, box_y = oy + top;
    const auto sx = [&](double t) { return box_x + (t - ax.lo) / (ax.hi - ax.lo) * box_w; };  // axis units -> pixels
    const auto sy = [&](double t) { return box_y + (ay.hi - t) / (ay.hi - ay.lo) * box_h; };

    out << "<text x='" << ox + width / 2 << "' y='" << oy + 22 << "' text-anchor='middle' font-size='15'>"
        << xml_escape(c.title) << "</text>\n";
    for (size_t i = 0; i < ax.ticks.size(); ++i) {
        const double x = sx(ax.ticks[i]);
        out << "<line x1='" << x << "' y1='" << box_y << "' x2='" << x << "' y2='" << box_y + box_h
            << "' stroke='#e8e8e8'/>\n<text class='tick-x' x='" << x << "' y='" << box_y + box_h + 15
            << "' text-anchor='middle' font-size='11'>" << ax.labels[i] << "</text>\n";
    }
    for (size_t i = 0; i < ay.ticks.size(); ++i) {
        const double y = sy(ay.ticks[i]);
        out << "<line x1='" << box_x << "' y1='" << y << "' x2='" << box_x + box_w << "' y2='" << y
            << "' stroke='#e8e8e8'/>\n<text class='tick-y' x='" << box_x - 6 << "' y='" << y + 4
            << "' text-anchor='end' font-size='11'>" << ay.labels[i] << "</text>\n";
    }
    out << "<rect x='" << box_x << "' y='" << box_y << "' width='" << box_w << "' height='" << box_h
        << "' fill='none' stroke='#888'/>\n";
    out << "<text class='x-label' x='" << box_x + box_w / 2 << "' y='" << oy + height - 10
        << "' text-anchor='middle' font-size='12'>" << xml_escape(c.x_label) << "</text>\n";
    if (!c.y_label.empty())
        out << "<text class='y-label' x='" << ox + 16 << "' y='" << box_y + box_h / 2 << "' transform='rotate(-90 "
            << ox + 16 << " " << box_y + box_h / 2 << ")' text-anchor='middle' font-size='12'>" << xml_escape(c.y_label)
            << "</text>\n";

    std::vector<Point> drawn;  // in pixels, for the legend to avoid
    for (const Series& s : c.series) {
        std::vector<size_t> shown;  // the points with both coordinates on the axes
        for (size_t i = 0; i < s.x.size(); ++i)
            if (std::isfinite(ax.at(s.x[i])) && std::isfinite(s.y[i])) shown.push_back(i);
        const auto pixel = [&](size_t i, double y) { return Point{sx(ax.at(s.x[i])), sy(y)}; };
        out << "<polyline fill='none' stroke='" << s.color << "' stroke-width='2' points='";
        for (size_t k = 0; k < shown.size(); ++k) {
            const Point p = pixel(shown[k], s.y[shown[k]]);
            out << p.x << "," << p.y << " ";
            if (k > 0) {  // the segment from the last point to p, every 4 pixels or so
                const Point q = drawn.back();
                const double steps = std::ceil(std::hypot(p.x - q.x, p.y - q.y) / 4);
                for (double t = 1; t < steps; ++t) drawn.push_back({q.x + (p.x - q.x) * t / steps, q.y + (p.y - q.y) * t / steps});
            }
            drawn.push_back(p);
        }
        out << "'/>\n";
        for (size_t i : shown) {
            if (!s.y_low.empty() && std::isfinite(s.y_low[i]) && std::isfinite(s.y_high[i])) {
                const Point lo = pixel(i, s.y_low[i]), hi = pixel(i, s.y_high[i]);
                out << "<path d='M" << lo.x << "," << lo.y << "V" << hi.y << "M" << lo.x - 3 << "," << lo.y << "h6M"
                    << hi.x - 3 << "," << hi.y << "h6' stroke='" << s.color << "'/>\n";
            }
            if (s.x.size() <= max_marked) {
                const Point p = pixel(i, s.y[i]);
                out << "<circle cx='" << p.x << "' cy='" << p.y << "' r='2.5' fill='" << s.color << "'/>\n";
            }
        }
    }
    if (!c.series.empty()) legend(out, c.series, drawn, box_x, box_y);
}

}  // namespace

std::string xml_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\'': out += "&apos;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string charts_svg(const std::vector<Chart>& charts, size_t columns, const std::string& title) {
    HEBB_CHECK(columns > 0, "charts_svg: columns must be positive");
    const size_t across = std::max<size_t>(1, std::min(columns, charts.size()));
    const size_t down = std::max<size_t>(1, (charts.size() + columns - 1) / columns);
    const double header = title.empty() ? 0 : 32;  // the title's band above the charts
    const double total_w = width * static_cast<double>(across);
    std::ostringstream out;
    out << std::fixed;
    out.precision(1);
    const double total_h = header + height * static_cast<double>(down);
    // The viewBox lets a page that embeds the document scale it to its width.
    out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << total_w << "' height='" << total_h << "' viewBox='0 0 "
        << total_w << " " << total_h << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
    if (!title.empty())  // 16 px bold text, about 9.5 px a character
        out << "<text class='title' x='" << total_w / 2 << "' y='24' text-anchor='middle' font-size='16' "
            << "font-weight='bold'>" << xml_escape(shortened(title, static_cast<size_t>((total_w - 20) / 9.5)))
            << "</text>\n";
    for (size_t i = 0; i < charts.size(); ++i)
        chart(out, charts[i], width * static_cast<double>(i % columns), header + height * static_cast<double>(i / columns));
    out << "</svg>\n";
    return out.str();
}

std::string encode_png(const Image& image) {
    HEBB_CHECK(image.width > 0 && image.height > 0 && image.channels >= 1 && image.channels <= 4,
               "encode_png: bad image ", image.width, "x", image.height, "x", image.channels);
    HEBB_CHECK(image.pixels.size() == static_cast<size_t>(image.width) * static_cast<size_t>(image.height) *
                                          static_cast<size_t>(image.channels),
               "encode_png: ", image.pixels.size(), " bytes for a ", image.width, "x", image.height, "x",
               image.channels, " image");
    std::string bytes;
    const auto append = [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
    };
    const int ok = stbi_write_png_to_func(append, &bytes, image.width, image.height, image.channels,
                                          image.pixels.data(), image.width * image.channels);
    HEBB_CHECK(ok != 0, "encode_png: stb_image_write failed");
    return bytes;
}

Rgb viridis(double t) {
    static constexpr std::array<Rgb, 9> a{{{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
                                           {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}}};
    return interpolate(a, t);
}

Rgb coolwarm(double t) {
    static constexpr std::array<Rgb, 5> a{{{59, 76, 192}, {141, 176, 254}, {221, 221, 221}, {244, 154, 123}, {180, 4, 38}}};
    return interpolate(a, t);
}

std::string base64(std::string_view bytes) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t i = 0; i < bytes.size(); i += 3) {
        // 3 bytes = 24 bits = four 6-bit digits; a short last group ends in '=' for each missing byte.
        const size_t len = std::min<size_t>(3, bytes.size() - i);
        std::uint32_t v = 0;
        for (size_t j = 0; j < 3; ++j) v = v << 8 | (j < len ? static_cast<unsigned char>(bytes[i + j]) : 0u);
        for (size_t j = 0; j < 4; ++j) out += j <= len ? digits[(v >> (18 - 6 * j)) & 63] : '=';
    }
    return out;
}

Image heatmap(const Eigen::MatrixXd& graph, std::span<const int> order, double lo, double hi, Colormap map, int scale) {
    HEBB_CHECK(graph.rows() == graph.cols(), "heatmap: the graph must be square, got (", graph.rows(), "x",
               graph.cols(), ")");
    HEBB_CHECK(scale >= 1, "heatmap: scale must be positive, not ", scale);
    for (int i : order) HEBB_CHECK(i >= 0 && i < graph.rows(), "heatmap: neuron ", i, " is not in a graph of ", graph.rows());
    const int side = static_cast<int>(order.size()) * scale;
    Image img{side, side, 3, {}};
    img.pixels.reserve(static_cast<size_t>(side) * static_cast<size_t>(side) * 3);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
            const double v = graph(order[static_cast<size_t>(y / scale)], order[static_cast<size_t>(x / scale)]);
            const Rgb c = map((v - lo) / (hi - lo));
            img.pixels.insert(img.pixels.end(), {c.r, c.g, c.b});
        }
    return img;
}

std::string heatmap_svg(const Eigen::MatrixXd& graph, std::span<const int> order, std::span<const size_t> block_sizes,
                        double lo, double hi, Colormap map, const HeatmapLabels& labels) {
    const auto n = static_cast<int>(order.size());
    HEBB_CHECK(n > 0, "heatmap_svg: no neurons to draw");
    size_t total = 0;
    for (size_t b : block_sizes) total += b;
    HEBB_CHECK(block_sizes.empty() || total == order.size(), "heatmap_svg: blocks of ", total, " neurons for ",
               order.size(), " in the order");
    const int scale = std::clamp(800 / n, 1, 32);
    const double side = n * scale;
    // Layout in pixels: marks left of the matrix, block labels right of it, titles above, scale below.
    const double left = 24, top = 56, label_width = 190, bottom = 76;
    // Wide enough for the title (15 px, about 8.5 px a character) and subtitle (12 px, about 6.8).
    const double width = std::max({left + side + label_width, 480.0,
                                   left + 10 + 8.5 * static_cast<double>(char_starts(labels.title).size()),
                                   left + 10 + 6.8 * static_cast<double>(char_starts(labels.subtitle).size())});
    const double height = top + side + bottom;
    std::ostringstream out;
    out.precision(4);
    out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
        << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n"
        << "<text x='" << left << "' y='22' font-size='15'>" << xml_escape(labels.title) << "</text>\n"
        << "<text x='" << left << "' y='42' font-size='12' fill='#444'>" << xml_escape(labels.subtitle) << "</text>\n"
        << "<image x='" << left << "' y='" << top << "' width='" << side << "' height='" << side
        << "' image-rendering='pixelated' href='data:image/png;base64,"
        << base64(encode_png(heatmap(graph, order, lo, hi, map, scale))) << "'/>\n"
        << "<rect x='" << left << "' y='" << top << "' width='" << side << "' height='" << side
        << "' fill='none' stroke='#888'/>\n";

    // Block boundaries across the matrix, each block's label beside its middle (skipped where it
    // would overlap the previous one).
    double at = 0, last_label = -INFINITY;
    for (size_t b = 0; b < block_sizes.size(); ++b) {
        const double mid = top + (at + static_cast<double>(block_sizes[b]) / 2) * scale + 4;
        if (b < labels.block_labels.size() && mid - last_label >= 12) {
            out << "<text x='" << left + side + 8 << "' y='" << mid << "' font-size='11'>"
                << xml_escape(labels.block_labels[b]) << "</text>\n";
            last_label = mid;
        }
        at += static_cast<double>(block_sizes[b]);
        if (b + 1 == block_sizes.size()) break;
        const double p = at * scale;
        out << "<path d='M" << left + p << "," << top << "V" << top + side << "M" << left << "," << top + p << "H"
            << left + side << "' stroke='" << labels.line << "' stroke-width='1'/>\n"
            << "<path d='M" << left + side << "," << top + p << "h6' stroke='#444'/>\n";
    }

    // Marked neurons: a red tick (a band where they are adjacent) on the left.
    std::vector<bool> marked(static_cast<size_t>(graph.rows()), false);
    for (int i : labels.marked)
        if (i >= 0 && i < graph.rows()) marked[static_cast<size_t>(i)] = true;
    long marks = 0;
    for (int pos = 0; pos < n; ++pos)
        if (marked[static_cast<size_t>(order[static_cast<size_t>(pos)])]) {
            ++marks;
            out << "<rect x='" << left - 10 << "' y='" << top + pos * scale << "' width='7' height='" << scale
                << "' fill='red'/>\n";
        }

    // The colour scale: a gradient sampled from the colormap, lo and hi at its ends.
    const double bar_y = top + side + 16, bar_width = std::clamp(side, 200.0, 300.0);
    out << "<defs><linearGradient id='scale'>";
    for (int i = 0; i <= 10; ++i) {
        const Rgb c = map(i / 10.0);
        out << "<stop offset='" << i * 10 << "%' stop-color='rgb(" << int{c.r} << "," << int{c.g} << "," << int{c.b}
            << ")'/>";
    }
    out << "</linearGradient></defs>\n"
        << "<rect x='" << left << "' y='" << bar_y << "' width='" << bar_width
        << "' height='12' fill='url(#scale)' stroke='#888'/>\n"
        << "<text x='" << left << "' y='" << bar_y + 26 << "' font-size='11'>" << lo << "</text>\n"
        << "<text x='" << left + bar_width << "' y='" << bar_y + 26 << "' font-size='11' text-anchor='end'>" << hi
        << "</text>\n"
        << "<text x='" << left + bar_width + 10 << "' y='" << bar_y + 10 << "' font-size='11'>"
        << xml_escape(labels.scale_label) << "</text>\n"
        << "<rect x='" << left << "' y='" << bar_y + 40 << "' width='7' height='10' fill='red'/>\n"
        << "<text x='" << left + 12 << "' y='" << bar_y + 49 << "' font-size='11'>dead/silent neuron (" << marks
        << ")</text>\n</svg>\n";
    return out.str();
}

Image image_grid(const std::vector<Eigen::RowVectorXf>& images, int side) {
    HEBB_CHECK(!images.empty() && side > 0, "image_grid: ", images.size(), " images of side ", side);
    for (const Eigen::RowVectorXf& image : images)
        HEBB_CHECK(image.size() == static_cast<Eigen::Index>(side) * side, "image_grid: an image of ", image.size(),
                   " values is not ", side, "x", side);
    const int zoom = 3, gap = 4, tile = side * zoom;
    const int cols = std::min<int>(8, static_cast<int>(images.size()));
    const int rows = (static_cast<int>(images.size()) + cols - 1) / cols;
    Image img{gap + cols * (tile + gap), gap + rows * (tile + gap), 3, {}};
    img.pixels.assign(static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 3, 48);
    for (size_t a = 0; a < images.size(); ++a) {
        const int x0 = gap + static_cast<int>(a % static_cast<size_t>(cols)) * (tile + gap);
        const int y0 = gap + static_cast<int>(a / static_cast<size_t>(cols)) * (tile + gap);
        for (int y = 0; y < tile; ++y)
            for (int x = 0; x < tile; ++x) {
                const float v = images[a]((y / zoom) * side + x / zoom);
                const auto grey = static_cast<std::uint8_t>(std::lround(255.0f * std::clamp(v, 0.0f, 1.0f)));
                const size_t p = (static_cast<size_t>(y0 + y) * static_cast<size_t>(img.width) + static_cast<size_t>(x0 + x)) * 3;
                img.pixels[p] = img.pixels[p + 1] = img.pixels[p + 2] = grey;
            }
    }
    return img;
}

}  // namespace hebb::analysis
