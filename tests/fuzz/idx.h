// The IDX targets' common part. The input is read as the file its rank byte (offset 3) says it is:
// rank 1 as the labels, anything else as the images, each time beside a valid 2-sample partner, so
// an input that is a valid 2-image or 2-label file goes through the whole reader. (One read per
// input, not both: read_file costs two fresh 1 MiB buffers a file under ASan.)
#pragma once

#include "datasets/idx.h"
#include "fuzz.h"

namespace fuzz {

inline void read_idx_input(const std::string& path, const std::uint8_t* data, size_t size) {
    static const std::string images = temp_dir() + "images.idx", labels = temp_dir() + "labels.idx";
    static const bool written = [] {  // 2 images of 3x3 pixels, and 2 labels
        const std::uint8_t image_bytes[4 + 3 * 4 + 2 * 9] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3,
                                                             0, 32, 64, 96, 128, 160, 192, 224, 255};
        const std::uint8_t label_bytes[4 + 4 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 9};
        write_file(images, image_bytes, sizeof image_bytes);
        write_file(labels, label_bytes, sizeof label_bytes);
        return true;
    }();
    (void)written;
    const bool as_labels = size > 3 && data[3] == 1;
    try {
        const hebb::data::TensorDataset d =
            as_labels ? hebb::data::read_idx(images, path, 10) : hebb::data::read_idx(path, labels, 10);
        FUZZ_CHECK(d.classes == 10);
        FUZZ_CHECK(d.size() == 2 && d.dim() > 0);
        FUZZ_CHECK(d.labels.size() == 2);
        for (const int label : d.labels) FUZZ_CHECK(label >= 0 && label < 10);
        FUZZ_CHECK(d.features().minCoeff() >= 0.0f && d.features().maxCoeff() <= 1.0f);
    } catch (const hebb::Error&) {
    }
}

}  // namespace fuzz
