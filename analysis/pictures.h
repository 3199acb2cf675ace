// Pictures, all in one place: 8-bit images and their PNG bytes, colormaps, heatmaps of a graph,
// grids of grey images, and SVG line charts. Everything returns pixels or bytes; writing the files
// is the caller's.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hebb::analysis {

// An 8-bit image, rows top to bottom, channels interleaved (RGB, RGB, ...).
struct Image {
    int width = 0, height = 0, channels = 3;
    std::vector<std::uint8_t> pixels;
};
// The bytes of a PNG file holding the image (stb_image_write; the library links stb, the apps do not).
std::string encode_png(const Image& image);

struct Rgb {
    std::uint8_t r, g, b;
};
// A colormap takes t in [0, 1] (clamped; NaN reads as 0) to a colour.
using Colormap = Rgb (*)(double t);
// matplotlib's viridis: perceptually uniform, readable in grey and by colour-blind readers.
Rgb viridis(double t);
// Moreland's diverging cool-warm map: 0 blue, 0.5 light grey, 1 red (for correlations in [-1, 1]).
Rgb coolwarm(double t);

// Standard base64 (RFC 4648, with '=' padding) of any bytes.
std::string base64(std::string_view bytes);

// The heatmap of a square graph (n x n) with its neurons in `order`, each neuron a square of
// `scale` pixels. Values map lo..hi to map(0..1).
Image heatmap(const Eigen::MatrixXd& graph, std::span<const int> order, double lo, double hi, Colormap map,
              int scale = 1);

// What heatmap_svg draws around the pixels.
struct HeatmapLabels {
    std::string title, subtitle;
    std::string scale_label;                // what the colours measure, beside the scale bar
    std::string line = "white";             // SVG colour of the lines between blocks
    std::vector<std::string> block_labels;  // one per block, beside it on the right
    std::vector<int> marked;                // neurons marked "dead/silent" by a red tick on the left
};
// A heatmap readable without the code, as an SVG document: heatmap()'s pixels embedded as a base64
// PNG (about 800 pixels a side, at least 1 a neuron), the title and subtitle above, a line between
// consecutive blocks (block_sizes, in order, summing to order's size) with each block's label on
// the right, red ticks on the left at the marked neurons, and a colour scale bar from lo to hi below;
// the document is as wide as its title and subtitle need.
std::string heatmap_svg(const Eigen::MatrixXd& graph, std::span<const int> order, std::span<const size_t> block_sizes,
                        double lo, double hi, Colormap map, const HeatmapLabels& labels);

// Square grey images (each side * side values in [0, 1], row-major) in a grid of up to 8 columns,
// 3x enlarged, on a dark frame, in the order given.
Image image_grid(const std::vector<Eigen::RowVectorXf>& images, int side);

// Line charts as SVG text: learning curves, accuracy against model size.
struct Series {
    std::string name;
    std::string color;  // any SVG colour
    std::vector<double> x, y;
    // Empty, or one per point: a vertical bar from y_low to y_high at each point (a spread over seeds).
    std::vector<double> y_low{}, y_high{};
};

struct Chart {
    std::string title;
    std::string x_label;
    std::vector<Series> series;
    std::string y_label{};  // none when empty
    bool log_x = false;     // a log10 x axis, its ticks reading as values (1k, 10k); x <= 0 is not drawn
};

// Charts in rows of `columns`, each 420 x 300 pixels, in one SVG document, under `title` (in bold,
// shortened with "…" to the document's width) when it is not empty. An axis whose values are all
// whole numbers (epochs) is ticked at whole numbers only, and a linear axis of values none of which
// is negative (a loss, an accuracy) does not go below 0. A linear axis is ticked about five times,
// 1, 2 or 5 x 10^k apart; a log axis at 10^k where three or more of them fall on it, else at 1, 2
// and 5 x 10^k where three do, else (a narrow range) as a linear axis would be; ticks read as 0.05,
// 20, 1.5k, 2M. Points are marked while a series has at most 50 of them. The legend sits inside the
// plot box, in the corner that covers the fewest points, in as many columns as its height needs,
// names shortened with "…" to fit its width.
std::string charts_svg(const std::vector<Chart>& charts, size_t columns = 2, const std::string& title = {});

// `text` with & < > ' " written as XML entities, for SVG and HTML text and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace hebb::analysis
