#include "datasets/images.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include <stb/stb_image.h>

#include "io/file.h"

namespace hebb::data {

namespace {

namespace fs = std::filesystem;

// The entries of `dir` that pass `keep`, sorted by name; names starting with '.' are skipped.
template <class Keep>
std::vector<fs::path> sorted_entries(const fs::path& dir, Keep keep) {
    std::error_code error;
    fs::directory_iterator it(dir, error);
    HEBB_CHECK(!error, dir.string(), ": cannot list the folder: ", error.message());
    std::vector<fs::path> out;
    for (const fs::directory_entry& entry : it)
        if (!entry.path().filename().string().starts_with('.') && keep(entry)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

bool is_image(const fs::directory_entry& entry) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp");
}

// The bytes of an image file. stb_image's memory reader takes an int length; 1 GiB is four times an
// uncompressed 8192 x 8192 RGBA BMP, the largest image hebb reads.
std::string read_bytes(const fs::path& path) {
    check_regular_file(path.string());
    std::error_code error;
    const std::uintmax_t size = fs::file_size(path, error);
    HEBB_CHECK(!error, path.string(), ": cannot read: ", error.message());
    HEBB_CHECK(size <= std::uintmax_t{1} << 30, path.string(), ": ", size, " bytes, more than the 1 GiB an image may have");
    std::string bytes(size, '\0');
    std::ifstream in(path, std::ios::binary);
    HEBB_CHECK(in.read(bytes.data(), static_cast<std::streamsize>(size)), path.string(), ": cannot read");
    return bytes;
}

// Byte `i` of `b`, or 0 past its end, as stb_image reads it.
unsigned byte_at(const std::string& b, size_t i) {
    return i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
}

// Refuses a JPEG with a Huffman table (DHT) of more than 256 codes, or one that runs past its
// segment: stb_image 2.27 writes such a table past its arrays, even in stbi_info; and one whose scan
// (SOS) decodes with a table no DHT defined before it, which stb_image reads uninitialized (an
// index out of its arrays; Debian's libstb has the assert that would catch it compiled out). Walks the markers
// as stb_image does: a marker is 0xFF (fill bytes 0xFF repeat it) and a code; a segment's big-endian
// length counts its own two bytes; after a scan header (SOS) the entropy-coded data runs to the next
// marker that is neither a stuffed byte (FF 00) nor a restart (FF D0..D7). stb_image fails on its
// own on whatever this walk skips over or stops at.
void check_jpeg(const std::string& path, const std::string& b) {
    bool defined[2][4] = {};  // [DC, AC][table id] defined by a DHT so far
    bool progressive = false;
    for (size_t at = 2; at < b.size();) {  // after SOI, FF D8
        if (byte_at(b, at++) != 0xff) continue;
        while (byte_at(b, at) == 0xff) ++at;
        const unsigned marker = byte_at(b, at++);
        if (marker == 0xd9) return;                                                           // EOI
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;  // no length
        const size_t length = byte_at(b, at) << 8 | byte_at(b, at + 1);
        if (length < 2) return;
        // Each table: class and id (1 byte), the number of codes of each length 1..16, the codes.
        for (size_t table = at + 2; marker == 0xc4 && table < at + length;) {
            size_t codes = 0;
            for (size_t i = 1; i <= 16; ++i) codes += byte_at(b, table + i);
            HEBB_CHECK(codes <= 256 && table + 17 + codes <= at + length, path,
                       ": corrupt JPEG: the Huffman table at offset ", table, " has ", codes,
                       " codes; at most 256 that fit in its segment");
            const unsigned kind = byte_at(b, table) >> 4, id = byte_at(b, table) & 15;
            if (kind < 2 && id < 4) defined[kind][id] = true;  // stb_image refuses the others itself
            table += 17 + codes;
        }
        progressive = progressive || marker == 0xc2;
        if (marker == 0xda) {
            // Components (id, DC table << 4 | AC table), then Ss, Se, Ah << 4 | Al. A progressive
            // scan decodes with DC tables (Ss = 0, first pass only) or AC tables (Ss > 0); a
            // baseline scan with both.
            const unsigned n = byte_at(b, at + 2), ss = byte_at(b, at + 3 + 2 * n), ah = byte_at(b, at + 5 + 2 * n) >> 4;
            const bool dc = !progressive || (ss == 0 && ah == 0), ac = !progressive || ss > 0;
            for (unsigned i = 0; i < n; ++i) {
                const unsigned tables = byte_at(b, at + 4 + 2 * i), d = tables >> 4, a = tables & 15;
                HEBB_CHECK(!(dc && d < 4 && !defined[0][d]) && !(ac && a < 4 && !defined[1][a]), path,
                           ": corrupt JPEG: the scan at offset ", at - 2, " decodes with Huffman table ",
                           dc && d < 4 && !defined[0][d] ? "DC " + std::to_string(d) : "AC " + std::to_string(a),
                           ", which no DHT segment defines before it");
            }
        }
        at += length;
    }
}

// Refuses a PNG with a chunk longer than the rest of the file, for which stb_image 2.27 allocates
// first (2 GiB for a 189-byte file), or whose first image data chunk (IDAT) is empty, which it copies
// into a buffer it has not allocated yet (memcpy to NULL). A chunk: length (4 bytes, big-endian),
// type, data, CRC; stb_image reads no CRC after IEND.
void check_png(const std::string& path, const std::string& b) {
    bool data = false;  // an IDAT chunk came before
    for (size_t at = 8; at + 8 <= b.size();) {  // after the 8-byte signature
        const size_t length = byte_at(b, at) << 24 | byte_at(b, at + 1) << 16 | byte_at(b, at + 2) << 8 | byte_at(b, at + 3);
        HEBB_CHECK(at + 8 + length <= b.size(), path, ": corrupt PNG: the chunk at offset ", at, " claims ", length,
                   " bytes, more than the file holds");
        const bool idat = b.compare(at + 4, 4, "IDAT") == 0;
        HEBB_CHECK(data || !idat || length > 0, path, ": corrupt PNG: the first image data chunk (IDAT, offset ", at,
                   ") is empty");
        data = data || idat;
        if (b.compare(at + 4, 4, "IEND") == 0) return;
        at += 12 + length;
    }
}

// hebb reads the formats it documents, PNG, JPEG and BMP, told apart by their first bytes as
// stb_image tells them. stb_image 2.27's other decoders (PNM, GIF, PSD, HDR, PIC, TGA) read or
// write out of bounds on broken files, and so do its PNG and JPEG decoders in the cases checked here.
void check_image(const std::string& path, const std::string& b) {
    if (b.starts_with("\x89PNG\r\n\x1a\n"))
        check_png(path, b);
    else if (b.starts_with("\xff\xd8"))
        check_jpeg(path, b);
    else
        HEBB_CHECK(b.starts_with("BM"), path, ": not a PNG, JPEG or BMP file (by its first bytes); hebb reads only those");
}

[[noreturn]] void cannot_read(const fs::path& path) {
    const char* reason = stbi_failure_reason();
    fail(path.string(), ": cannot read the image: ", reason ? reason : "unknown reason");
}

struct ImageInfo {
    int width, height;
    bool colour;
};

// The width and height an image's header states, checked (see check_image) and bounded before
// anything is decoded: stb_image would allocate whatever a (possibly lying) header claims, and a
// 0 x 0 image would be a sample without features. Also whether it has colour (3 or 4 channels).
ImageInfo image_info(const fs::path& path, const std::string& bytes) {
    check_image(path.string(), bytes);
    int w = 0, h = 0, channels_in_file = 0;
    if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h,
                               &channels_in_file))
        cannot_read(path);
    HEBB_CHECK(w > 0 && h > 0 && w <= 8192 && h <= 8192, path.string(), ": image size ", w, "x", h,
               " is outside 1x1 to 8192x8192");
    return {w, h, channels_in_file >= 3};
}

void check_same_size(const fs::path& path, int w, int h, const fs::path& first, int width, int height) {
    HEBB_CHECK(w == width && h == height, path.string(), " is ", w, "x", h, " but ", first.string(), " is ", width,
               "x", height, " (width x height); all images must have the same size");
}

}  // namespace

TensorDataset read_image_folder(const std::string& root) {
    std::error_code error;
    HEBB_CHECK(fs::is_directory(root, error), root, ": not a folder");
    TensorDataset d;
    std::vector<std::pair<fs::path, int>> files;  // each image and its label
    const auto is_folder = [](const fs::directory_entry& e) { return e.is_directory(); };
    for (const fs::path& folder : sorted_entries(root, is_folder)) {
        const std::vector<fs::path> images = sorted_entries(folder, is_image);
        HEBB_CHECK(!images.empty(), folder.string(),
                   ": a class folder without images (.png, .jpg, .jpeg, .bmp)");
        const int label = static_cast<int>(d.class_names.size());
        for (const fs::path& image : images) files.emplace_back(image, label);
        d.class_names.push_back(folder.filename().string());
    }
    HEBB_CHECK(!d.class_names.empty(), root, ": no class folders; expected ", root, "/<class>/<image>");
    d.classes = static_cast<int>(d.class_names.size());

    // Every image's size from its header first, checked against the first one's, then the memory
    // they need together: a folder of mismatched or huge images fails before one is decoded.
    int width = 0, height = 0;
    bool colour = false;
    for (const auto& file : files) {
        const auto [w, h, c] = image_info(file.first, read_bytes(file.first));
        if (width == 0) {
            width = w;
            height = h;
        }
        check_same_size(file.first, w, h, files[0].first, width, height);
        colour = colour || c;
    }
    const int channels = colour ? 3 : 1;
    check_memory(root + ": " + std::to_string(files.size()) + " images of " + std::to_string(width) + "x" +
                     std::to_string(height) + "x" + std::to_string(channels) + " pixels",
                 double(files.size()) * width * height * channels);
    Bytes x(static_cast<Eigen::Index>(files.size()), Eigen::Index{width} * height * channels);
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string bytes = read_bytes(files[i].first);
        int w = 0, h = 0, channels_in_file = 0;
        const std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
            stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w,
                                  &h, &channels_in_file, channels),
            stbi_image_free);
        if (!pixels) cannot_read(files[i].first);
        check_same_size(files[i].first, w, h, files[0].first, width, height);  // the file may have changed
        // stb's pixels are (height x width x channels) bytes; a row holds them channel by channel.
        const Eigen::Index plane = Eigen::Index{width} * height;
        for (Eigen::Index c = 0; c < channels; ++c)
            x.row(static_cast<Eigen::Index>(i)).segment(c * plane, plane) =
                Eigen::Map<const Eigen::Matrix<stbi_uc, 1, Eigen::Dynamic>, 0, Eigen::InnerStride<>>(
                    pixels.get() + c, plane, Eigen::InnerStride<>(channels));
        d.labels.push_back(files[i].second);
    }
    d.values = std::move(x);
    d.image = {channels, height, width};
    return d;
}

}  // namespace hebb::data
