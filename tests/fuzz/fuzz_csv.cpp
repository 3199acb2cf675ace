// CSV files (data::read_csv): the input is the file. An input of even size is read as `hebb --data
// csv:PATH` reads it (header detected, label in the last column), one of odd size with no header and
// the label in the first column: one read per input, as read_file costs a fresh 1 MiB buffer
// a file under ASan. A gzip stream is gunzipped by the reader first, so the seeds include one.
#include <cmath>

#include "datasets/csv.h"
#include "fuzz.h"

namespace {

void read(const std::string& path, int label_column, std::optional<bool> header) {
    try {
        const hebb::data::TensorDataset d = hebb::data::read_csv(path, label_column, header);
        FUZZ_CHECK(d.size() > 0 && d.dim() > 0);
        FUZZ_CHECK(d.labels.size() == static_cast<size_t>(d.size()));
        for (const int label : d.labels) FUZZ_CHECK(label >= 0 && label < d.classes);
        // The reader refuses cells that are not finite numbers, so no feature may be inf or NaN.
        FUZZ_CHECK(d.features().allFinite());
        FUZZ_CHECK(d.class_names.empty() || d.class_names.size() == static_cast<size_t>(d.classes));
    } catch (const hebb::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string path = fuzz::temp_dir() + "input.csv";
    fuzz::write_file(path, data, size);
    if (size % 2 == 0)
        read(path, -1, std::nullopt);
    else
        read(path, 0, false);
    return 0;
}
