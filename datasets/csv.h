// Numeric CSV files with one integer class label per row, gzipped or not.
#pragma once

#include <optional>
#include <string>

#include "datasets/dataset.h"

namespace hebb::data {

// Reads a CSV file of numbers, one sample per line: every cell but the label column is a feature,
// the label column (0-based; -1 = the last) holds a non-negative integer label, and `classes` is the
// largest label + 1. Cells are split at commas and trimmed of spaces and tabs (no quoting); blank
// lines are skipped; a gzipped file (magic 0x1f 0x8b) is gunzipped first, as sklearn's digits.csv.gz.
// Lines end in "\n", "\r\n" or a lone "\r", the last one with or without a line break; a UTF-8
// byte order mark at the start is skipped, and UTF-16 text is refused (convert it to UTF-8).
//
// header: true skips the first non-blank line, false reads it as data, and nullopt detects it: the
// first line is a header when one of its cells is not a number, or when it has a different number
// of cells than the second line (sklearn's iris.csv starts `150,4,setosa,versicolor,virginica`). A
// header of sklearn's form "samples,features,name of class 0,name of class 1,..." whose counts match
// the data also gives class_names.
//
// Throws hebb::Error naming the file and, counting lines and columns from 1, the row and column: a
// row with a different number of cells than the first data row, a cell that is not a finite number,
// a label that is not a non-negative integer, an empty file, a label column out of range.
TensorDataset read_csv(const std::string& path, int label_column = -1,
                       std::optional<bool> header = std::nullopt);

}  // namespace hebb::data
