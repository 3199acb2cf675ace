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

namespace {

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

}  // namespace

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
    const double width = std::max(left + side + label_width, 480.0), height = top + side + bottom;
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
