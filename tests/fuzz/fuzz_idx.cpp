// IDX images and labels (data::read_idx): the input is a raw IDX file. The reader sees the same
// bytes after gunzipping a gzipped file, whose stream itself fuzz_idx_gz damages.
#include "idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static const std::string path = fuzz::temp_dir() + "input.idx";
    fuzz::write_file(path, data, size);
    fuzz::read_idx_input(path, data, size);
    return 0;
}
