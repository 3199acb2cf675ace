#include "io/print.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <vector>

namespace hebb {

namespace {

using Eigen::Index;

// PyTorch's default print options (torch/_tensor_str.py) and its layout: "tensor(" then rows that
// start one column further in.
constexpr size_t line_width = 80;
constexpr Index threshold = 1000;  // more entries than this are summarized
constexpr Index edge_items = 3;    // the rows and columns kept at each end when summarized
constexpr size_t indent = 7;       // the width of "tensor("

std::string printed(const char* format, double v) {
    char text[64];  // the longest, a float's 39 digits with "%.4f", fits
    std::snprintf(text, sizeof text, format, v);
    return text;
}

std::string join(std::vector<std::string>::const_iterator first, std::vector<std::string>::const_iterator last,
                 const std::string& separator) {
    std::string out;
    for (auto it = first; it != last; ++it) out += (it == first ? "" : separator) + *it;
    return out;
}

// The indices of a dimension of size n that are printed: all, or the first and last edge_items.
std::vector<Index> shown(Index n, bool summarize) {
    std::vector<Index> out;
    for (Index i = 0; i < n; ++i)
        if (!summarize || n <= 2 * edge_items || i < edge_items || i >= n - edge_items) out.push_back(i);
    return out;
}

// PyTorch's _Formatter: one style for all the entries printed, chosen from their nonzero finite
// magnitudes, and the width of the widest.
class Formatter {
public:
    explicit Formatter(const std::vector<float>& values) {
        double smallest = INFINITY, largest = 0.0;
        for (float v : values)
            if (std::isfinite(v) && v != 0.0f) {
                smallest = std::min(smallest, std::abs(double(v)));
                largest = std::max(largest, std::abs(double(v)));
                whole_ = whole_ && v == std::ceil(v);
            }
        if (largest == 0.0) return;  // zeros, NaNs and infinities only: "0.", "nan", "inf"
        scientific_ = largest / smallest > 1000.0 || largest > 1e8 || (!whole_ && smallest < 1e-4);
        for (float v : values)
            if (std::isfinite(v) && v != 0.0f) width_ = std::max(width_, text(v).size());
    }
    size_t width() const { return width_; }
    std::string operator()(float v) const {
        const std::string t = text(v);
        return std::string(width_ - std::min(width_, t.size()), ' ') + t;
    }

private:
    std::string text(float v) const {
        if (std::isnan(v)) return "nan";  // never "-nan"
        if (scientific_) return printed("%.4e", v);
        if (whole_) return printed("%.0f", v) + (std::isinf(v) ? "" : ".");
        return printed("%.4f", v);
    }
    bool whole_ = true, scientific_ = false;
    size_t width_ = 1;
};

// "tensor([[...]]" then the suffixes (", requires_grad=True"), each on a new line where the last
// line would pass 80 characters, and ")".
std::string tensor_text(const Matrix& m, std::vector<std::string> suffixes) {
    std::string out = "tensor([";
    if (m.size() == 0) {
        out += "]";
        suffixes.insert(suffixes.begin(), "size=(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")");
    } else {
        const bool summarize = m.size() > threshold;
        const std::vector<Index> rows = shown(m.rows(), summarize), cols = shown(m.cols(), summarize);
        std::vector<float> values;
        for (Index r : rows)
            for (Index c : cols) values.push_back(m(r, c));
        const Formatter format(values);
        // A row starts after "tensor([[" and continues under its first entry.
        const size_t per_line = std::max<size_t>(1, (line_width - indent - 1) / (format.width() + 2));
        std::vector<std::string> row_texts;
        for (size_t i = 0; i < rows.size(); ++i) {
            if (i == edge_items && rows.size() < static_cast<size_t>(m.rows())) row_texts.push_back("...");
            std::vector<std::string> entries;
            for (size_t j = 0; j < cols.size(); ++j) {
                if (j == edge_items && cols.size() < static_cast<size_t>(m.cols())) entries.push_back(" ...");
                entries.push_back(format(m(rows[i], cols[j])));
            }
            std::vector<std::string> lines;
            for (size_t k = 0; k < entries.size(); k += per_line)
                lines.push_back(join(entries.begin() + k, entries.begin() + std::min(k + per_line, entries.size()), ", "));
            row_texts.push_back("[" + join(lines.begin(), lines.end(), ",\n" + std::string(indent + 2, ' ')) + "]");
        }
        out += join(row_texts.begin(), row_texts.end(), ",\n" + std::string(indent + 1, ' ')) + "]";
    }
    // PyTorch's measure of the last line: 2 more than its length.
    const size_t newline = out.rfind('\n');
    size_t last_line = out.size() - (newline == std::string::npos ? 0 : newline + 1) + 2;
    for (const std::string& suffix : suffixes) {
        if (last_line + suffix.size() + 2 > line_width) {
            out += ",\n" + std::string(indent, ' ') + suffix;
            last_line = indent + suffix.size();
        } else {
            out += ", " + suffix;
            last_line += suffix.size() + 2;
        }
    }
    return out + ")";
}

}  // namespace

std::string format(const Matrix& m) { return tensor_text(m, {}); }

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
    if (!t.defined()) return out << "tensor(undefined)";
    std::vector<std::string> suffixes;
    if (t.node()->backward) suffixes.push_back("grad_fn=<" + std::string(t.op()) + ">");
    else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
    return out << tensor_text(t.value(), std::move(suffixes));
}

}  // namespace hebb
