#include "datasets/source.h"

#include <cstdlib>
#include <filesystem>

#include "datasets/csv.h"
#include "datasets/idx.h"
#include "datasets/images.h"

namespace hebb::data {

namespace {

const std::vector<std::string> fashion_names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// The train and test IDX pairs in `dir`, with `ext` ("" or ".gz") after each file name.
Splits idx_pair(const std::string& name, const std::string& dir, const std::string& ext,
                const std::string& install) {
    const auto file = [&](const std::string& stem) { return dir + "/" + stem + ext; };
    for (const char* stem : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
        HEBB_CHECK(std::filesystem::exists(file(stem)), name, ": ", file(stem),
                   " is missing; install it with: ", install);
    return {read_idx(file("train-images-idx3-ubyte"), file("train-labels-idx1-ubyte")),
            read_idx(file("t10k-images-idx3-ubyte"), file("t10k-labels-idx1-ubyte"))};
}

// Every fifth sample to the test split, the rest to the training split, order kept.
Splits every_fifth(const TensorDataset& all) {
    std::vector<Eigen::Index> train, test;
    for (Eigen::Index i = 0; i < all.size(); ++i) (i % 5 == 4 ? test : train).push_back(i);
    return {all.select(train), all.select(test)};
}

}  // namespace

std::string data_root() {
    const char* env = std::getenv("HEBB_DATA");
    return env && *env ? env : "/usr/local/share/hebb";
}

void check_dataset_name(const std::string& name) {
    HEBB_CHECK(name == "fashion-mnist" || name == "mnist" || name == "spirals" || name.starts_with("csv:") ||
                   name.starts_with("images:"),
               "dataset '", name, "' is unknown; use fashion-mnist, mnist, csv:PATH, images:DIR or spirals");
    if (name.starts_with("csv:") || name.starts_with("images:")) {
        const std::string path = name.substr(name.find(':') + 1);
        HEBB_CHECK(std::filesystem::exists(path), path, " does not exist");
    }
}

Splits load_dataset(const std::string& name) {
    check_dataset_name(name);
    if (name == "fashion-mnist") {
        Splits s = idx_pair(name, "/usr/share/datasets/fashion-mnist", ".gz",
                            "apt-get install dataset-fashion-mnist (or scripts/setup as root)");
        s.train.class_names = s.test.class_names = fashion_names;
        return s;
    }
    if (name == "mnist")
        return idx_pair(name, data_root() + "/mnist", "", "scripts/setup (as root)");
    if (name.starts_with("csv:")) return every_fifth(read_csv(name.substr(4)));
    if (name.starts_with("images:")) return every_fifth(read_image_folder(name.substr(7)));
    Generator train_gen(0), test_gen(1);  // spirals
    return {two_spirals(500, 0.02f, train_gen), two_spirals(500, 0.02f, test_gen)};
}

}  // namespace hebb::data
