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

// The charts' geometry in pixels: each chart's size, and the margins around its plot area.
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

Image heatmap(const Eigen::MatrixXd& graph, std::span<const int> order, std::span<const size_t> block_sizes,
              double lo, double hi, Colormap map, Rgb line) {
    HEBB_CHECK(graph.rows() == graph.cols(), "heatmap: the graph must be square, got (", graph.rows(), "x",
               graph.cols(), ")");
    for (int i : order) HEBB_CHECK(i >= 0 && i < graph.rows(), "heatmap: neuron ", i, " is not in a graph of ", graph.rows());
    const auto n = static_cast<int>(order.size());
    const int scale = std::clamp(800 / std::max(n, 1), 3, 16);
    std::vector<int> axis;  // pixel -> position in order, or -1 for a boundary line
    size_t block = 0, remaining = block_sizes.empty() ? order.size() : block_sizes[0];
    for (int pos = 0; pos < n; ++pos) {
        while (remaining == 0 && block + 1 < block_sizes.size()) {
            remaining = block_sizes[++block];
            if (pos > 0) axis.push_back(-1);
        }
        for (int s = 0; s < scale; ++s) axis.push_back(pos);
        --remaining;
    }
    Image img{static_cast<int>(axis.size()), static_cast<int>(axis.size()), 3, {}};
    img.pixels.reserve(axis.size() * axis.size() * 3);
    for (int y : axis)
        for (int x : axis) {
            const Rgb c = y < 0 || x < 0 ? line
                                         : map((graph(order[static_cast<size_t>(y)], order[static_cast<size_t>(x)]) - lo) /
                                               (hi - lo));
            img.pixels.insert(img.pixels.end(), {c.r, c.g, c.b});
        }
    return img;
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
