#include "datasets/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <vector>

#include "io/file.h"

namespace hebb::data {

namespace {

struct Line {
    size_t number;          // counted from 1, blank lines included
    std::string_view text;  // without the line break
};

// The non-blank lines of `text`, ended by "\n" (Unix), "\r\n" (Windows), a lone "\r" (old Mac
// OS, some spreadsheet exports) or the end of the text.
std::vector<Line> non_blank_lines(std::string_view text) {
    std::vector<Line> lines;
    size_t number = 0;
    for (size_t start = 0; start < text.size();) {
        const size_t end = std::min(text.find_first_of("\r\n", start), text.size());
        const std::string_view line = text.substr(start, end - start);
        start = end + (text.substr(end, 2) == "\r\n" ? 2 : 1);
        ++number;
        if (line.find_first_not_of(" \t") != std::string_view::npos) lines.push_back({number, line});
    }
    return lines;
}

// The text of a CSV file without its UTF-8 byte order mark (EF BB BF, which Excel writes); UTF-16
// (FF FE or FE FF) is refused, since its every other byte is 0.
std::string_view without_bom(const std::string& path, std::string_view text) {
    HEBB_CHECK(!text.starts_with("\xff\xfe") && !text.starts_with("\xfe\xff"), path,
               ": UTF-16 text (a byte order mark at offset 0); hebb reads UTF-8 CSV: convert it, e.g. "
               "iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.csv, or save it as \"CSV UTF-8\"");
    if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
    return text;
}

// The cells of a line, trimmed of spaces and tabs, into `cells` (reused to spare allocations).
void split_cells(std::string_view line, std::vector<std::string_view>& cells) {
    cells.clear();
    for (size_t start = 0;;) {
        const size_t comma = std::min(line.find(',', start), line.size());
        std::string_view cell = line.substr(start, comma - start);
        const size_t first = cell.find_first_not_of(" \t");
        cell = first == std::string_view::npos ? std::string_view{}
                                               : cell.substr(first, cell.find_last_not_of(" \t") - first + 1);
        cells.push_back(cell);
        if (comma == line.size()) return;
        start = comma + 1;
    }
}

// The whole cell as a number that is finite as a float (features are stored as floats), or nothing.
std::optional<double> number(std::string_view cell) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (cell.empty() || error != std::errc{} || end != cell.data() + cell.size() ||
        !std::isfinite(static_cast<float>(value)))
        return std::nullopt;
    return value;
}

}  // namespace

TensorDataset read_csv(const std::string& path, int label_column, std::optional<bool> header) {
    const std::string bytes = read_file(path);
    const std::vector<Line> lines = non_blank_lines(without_bom(path, bytes));
    HEBB_CHECK(!lines.empty(), path, ": empty file (no rows)");

    std::vector<std::string_view> first, cells;
    split_cells(lines[0].text, first);
    if (lines.size() > 1) split_cells(lines[1].text, cells);
    const bool has_header = header.value_or(
        std::any_of(first.begin(), first.end(), [](std::string_view c) { return !number(c); }) ||
        (lines.size() > 1 && cells.size() != first.size()));
    const size_t begin = has_header ? 1 : 0;
    HEBB_CHECK(lines.size() > begin, path, ": no data rows after the header on row ", lines[0].number);

    split_cells(lines[begin].text, cells);
    const size_t width = cells.size();
    HEBB_CHECK(width >= 2, path, ": row ", lines[begin].number, " has ", width,
               " cell; need at least one feature and a label");
    HEBB_CHECK(label_column >= -1 && label_column < static_cast<long long>(width), path, ": label column ",
               label_column, " is out of range for rows of ", width, " cells (use 0..", width - 1,
               ", or -1 for the last)");
    const size_t label_at = label_column == -1 ? width - 1 : static_cast<size_t>(label_column);

    TensorDataset d;
    Matrix x(static_cast<Eigen::Index>(lines.size() - begin), static_cast<Eigen::Index>(width - 1));
    for (size_t i = begin; i < lines.size(); ++i) {
        const size_t row = lines[i].number;
        split_cells(lines[i].text, cells);
        HEBB_CHECK(cells.size() == width, path, ": row ", row, " has ", cells.size(), " cells, expected ",
                   width, " as in row ", lines[begin].number);
        const auto sample = static_cast<Eigen::Index>(i - begin);
        Eigen::Index feature = 0;
        for (size_t c = 0; c < width; ++c) {
            const std::optional<double> value = number(cells[c]);
            HEBB_CHECK(value, path, ": row ", row, ", column ", c + 1, ": '", cells[c], "' is not a number");
            if (c != label_at) {
                x(sample, feature++) = static_cast<float>(*value);
                continue;
            }
            HEBB_CHECK(*value >= 0 && *value == std::floor(*value) && *value < 1e9, path, ": row ", row,
                       ", column ", c + 1, ": label '", cells[c], "' is not a non-negative integer");
            d.labels.push_back(static_cast<int>(*value));
            d.classes = std::max(d.classes, d.labels.back() + 1);
        }
    }

    d.image = {x.cols(), 1, 1};
    d.values = std::move(x);
    // sklearn's header: samples, features, then one name per class.
    if (has_header && first.size() == static_cast<size_t>(d.classes) + 2 &&
        number(first[0]) == static_cast<double>(d.size()) && number(first[1]) == static_cast<double>(width - 1))
        d.class_names.assign(first.begin() + 2, first.end());
    return d;
}

}  // namespace hebb::data
