// Datasets by the names the hebb command takes (--data):
//   fashion-mnist  Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist
//   mnist          the original files, in $HEBB_DATA/mnist (default /usr/local/share/hebb/mnist)
//   csv:PATH       a CSV file with the label in the last column (gzipped or not)
//   images:DIR     an image folder DIR/<class>/<image>
//   spirals        two generated spirals, 1,000 points to train on and 1,000 to test
// MNIST and Fashion-MNIST come with their own test split. For csv: and images:, every fifth sample
// (indices 4, 9, 14, ...) is the test split and the rest, in file order, the training split.
#pragma once

#include <string>

#include "datasets/dataset.h"

namespace hebb::data {

struct Splits {
    TensorDataset train, test;
};

Splits load_dataset(const std::string& name);

// What can be told from the name alone, before anything is read: throws hebb::Error unless `name`
// has one of the forms above and, for csv: and images:, names a path that exists. load_dataset
// checks this first; the hebb command calls it to tell a bad --data from a file it cannot read.
void check_dataset_name(const std::string& name);

std::string data_root();  // $HEBB_DATA, or /usr/local/share/hebb where scripts/setup installs data

}  // namespace hebb::data
