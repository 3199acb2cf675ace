#include "datasets/idx.h"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "io/file.h"

namespace hebb::data {

namespace {

struct IdxFile {
    std::string bytes;                // the whole file, decompressed
    std::vector<std::uint32_t> dims;  // from the header
    size_t data_offset = 0;           // where the data starts: 4 + 4 * dims.size()
};

std::string hex(unsigned byte) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02x", byte);
    return text;
}

std::string dims_str(const std::vector<std::uint32_t>& dims) {
    std::string s;
    for (const std::uint32_t d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
    return s;
}

// Reads the IDX file at `path` and checks that it holds unsigned bytes in `rank` dimensions (`what`
// words the messages: "images" or "labels") and exactly the data bytes its dimensions promise.
IdxFile read_idx_file(const std::string& path, size_t rank, const char* what) {
    IdxFile f{read_file(path), {}, 4 + 4 * rank};
    const std::string& b = f.bytes;
    const auto byte = [&](size_t at) { return static_cast<unsigned>(static_cast<unsigned char>(b[at])); };
    HEBB_CHECK(b.size() >= 4, path, ": not an IDX file: it has ", b.size(),
               " bytes, fewer than the 4-byte magic");
    HEBB_CHECK(byte(0) == 0 && byte(1) == 0, path, ": not an IDX file: the magic at offset 0 starts with ",
               hex(byte(0)), " ", hex(byte(1)), " instead of 0x00 0x00");
    HEBB_CHECK(byte(2) == 0x08, path, ": IDX data type ", hex(byte(2)),
               " at offset 2 is not 0x08 (unsigned byte), the only type supported");
    HEBB_CHECK(byte(3) == rank, path, ": ", byte(3), " dimensions (the byte at offset 3), but ", what,
               " need ", rank);
    HEBB_CHECK(b.size() >= f.data_offset, path, ": truncated header: ", rank, " dimensions need ",
               f.data_offset, " header bytes, the file has ", b.size());
    for (size_t i = 0; i < rank; ++i) {
        const size_t at = 4 + 4 * i;
        f.dims.push_back(byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3));
        HEBB_CHECK(f.dims.back() > 0, path, ": dimension ", i, " (offset ", at, ") is 0");
    }
    // The product of the dimensions, compared with the bytes there without overflowing: a lying
    // header is caught here, before anything is allocated from it.
    const size_t available = b.size() - f.data_offset;
    size_t promised = 1;
    bool too_many = false;
    for (const std::uint32_t d : f.dims) {
        too_many = too_many || promised > available / d;
        if (!too_many) promised *= d;
    }
    HEBB_CHECK(!too_many && promised <= available, path, ": truncated: the header promises ",
               dims_str(f.dims), " data bytes from offset ", f.data_offset, ", but only ", available,
               " follow");
    HEBB_CHECK(promised == available, path, ": ", available - promised, " bytes of trailing data at offset ",
               f.data_offset + promised, ": the dimensions ", dims_str(f.dims),
               " disagree with the file size ", b.size());
    return f;
}

}  // namespace

TensorDataset read_idx(const std::string& images_path, const std::string& labels_path, int classes) {
    HEBB_CHECK(classes > 0, "read_idx: classes must be positive, got ", classes);
    const IdxFile images = read_idx_file(images_path, 3, "images");
    const IdxFile labels = read_idx_file(labels_path, 1, "labels");
    const std::uint32_t n = images.dims[0];
    HEBB_CHECK(n == labels.dims[0], images_path, " holds ", n, " images but ", labels_path, " holds ",
               labels.dims[0], " labels");

    TensorDataset d;
    d.classes = classes;
    d.labels.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const size_t at = labels.data_offset + i;
        const int label = static_cast<unsigned char>(labels.bytes[at]);
        HEBB_CHECK(label < classes, labels_path, ": label ", label, " of sample ", i, " (offset ", at,
                   ") is not below classes = ", classes);
        d.labels[i] = label;
    }
    // The image bytes, N x rows*cols.
    const auto* pixels = reinterpret_cast<const unsigned char*>(images.bytes.data() + images.data_offset);
    d.values = Bytes(Eigen::Map<const Bytes>(pixels, n, Eigen::Index{images.dims[1]} * images.dims[2]));
    d.image = {1, images.dims[1], images.dims[2]};
    return d;
}

}  // namespace hebb::data
