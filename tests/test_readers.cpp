#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <stb/stb_image_write.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/csv.h"
#include "io/file.h"
#include "datasets/idx.h"
#include "datasets/images.h"

using namespace hebb;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// A fresh folder under the system's temporary folder, removed with everything in it at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string name = (fs::temp_directory_path() / "hebb-readers-XXXXXX").string();
        REQUIRE(::mkdtemp(name.data()) != nullptr);
        path = name;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string write_raw(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string write_gz(const std::string& path, const std::string& bytes) {
    gzFile gz = gzopen(path.c_str(), "wb");
    REQUIRE(gz != nullptr);
    REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    REQUIRE(gzclose(gz) == Z_OK);
    return path;
}

// An IDX file: magic (0 0 type rank), big-endian dimensions, then `data`.
std::string idx(const std::vector<std::uint32_t>& dims, const std::string& data, unsigned char type = 0x08) {
    std::string b{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
    for (const std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>(d >> shift & 0xff);
    return b + data;
}

// The setup installs these; a missing one fails the test with the command that installs it.
std::string fashion_file(const std::string& name) {
    const std::string path = "/usr/share/datasets/fashion-mnist/" + name;
    if (!fs::exists(path)) FAIL(path << " is missing: apt-get install dataset-fashion-mnist");
    return path;
}

std::string data_root() {
    const char* env = std::getenv("HEBB_DATA");
    return env && *env ? env : "/usr/local/share/hebb";
}

std::string setup_file(const std::string& name) {
    const std::string path = data_root() + "/" + name;
    if (!fs::exists(path))
        FAIL(path << " is missing: run scripts/setup as root (it fetches MNIST and sklearn's CSVs)");
    return path;
}

std::vector<int> class_counts(const data::TensorDataset& d) {
    std::vector<int> counts(static_cast<size_t>(d.classes));
    for (const int label : d.labels) ++counts[static_cast<size_t>(label)];
    return counts;
}

// The pixel bytes of an image dataset's sample.
std::vector<unsigned char> bytes_of(const data::TensorDataset& d, Eigen::Index row) {
    const auto pixels = std::get<data::Bytes>(d.values).row(row);
    return {pixels.begin(), pixels.end()};
}

data::TensorDataset fashion_test_set() {
    return data::read_idx(fashion_file("t10k-images-idx3-ubyte.gz"), fashion_file("t10k-labels-idx1-ubyte.gz"));
}

// Two 2x3 images and their labels.
const std::string tiny_pixels{0, 1, 2, 3, 127, static_cast<char>(255), 10, 20, 30, 40, 50, static_cast<char>(200)};
const std::string tiny_images = idx({2, 2, 3}, tiny_pixels);
const std::string tiny_labels = idx({2}, {7, 0});

}  // namespace

TEST_CASE("read_idx reads a hand-made file exactly, raw or gzipped", "[readers]") {
    TempDir dir;
    const auto d = data::read_idx(write_raw(dir / "images", tiny_images), write_raw(dir / "labels", tiny_labels));
    REQUIRE(d.size() == 2);
    REQUIRE(d.dim() == 6);
    for (Eigen::Index i = 0; i < 12; ++i)
        CHECK(d.features()(i / 6, i % 6) == static_cast<unsigned char>(tiny_pixels[static_cast<size_t>(i)]) / 255.0f);
    CHECK(d.features()(0, 5) == 1.0f);
    CHECK(d.labels == std::vector<int>{7, 0});
    CHECK(d.classes == 10);
    CHECK(data::read_idx(dir / "images", dir / "labels", 8).classes == 8);

    // Any mix of gzipped and raw files gives the same dataset.
    const auto gz = data::read_idx(write_gz(dir / "images.gz", tiny_images),
                                   write_gz(dir / "labels.gz", tiny_labels));
    CHECK(gz.features() == d.features());
    CHECK(gz.labels == d.labels);
    CHECK(data::read_idx(dir / "images.gz", dir / "labels").features() == d.features());
    CHECK(read_file(dir / "images.gz") == tiny_images);
}

TEST_CASE("read_file reads past its first buffers and refuses more than its limit", "[readers]") {
    TempDir dir;
    // 3 MiB and more: where the stated size is wrong (the two members below) the buffer grows past
    // two doublings from 1 MiB.
    std::string bytes(3 * (1 << 20) + 7, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7919 % 251);
    CHECK(read_file(write_gz(dir / "big.gz", bytes)) == bytes);
    CHECK(read_file(write_raw(dir / "big", bytes)) == bytes);
    CHECK(read_file(dir / "big.gz", bytes.size()) == bytes);  // exactly the limit
    // Two gzip members, one after the other: the trailer at the end states only the second's 4 bytes.
    std::ifstream member(write_gz(dir / "small.gz", "tail"), std::ios::binary);
    const std::string small{std::istreambuf_iterator<char>(member), {}};
    std::ofstream(dir / "big.gz", std::ios::binary | std::ios::app) << small;
    // The re-read into a buffer of the exact size: no capacity left over from growing (std::string
    // doubles its capacity, which took a file just over 1 GiB to 4 GiB of memory).
    const std::string both = read_file(dir / "big.gz");
    CHECK(both == bytes + "tail");
    CHECK(both.capacity() == both.size());

    // A gzip bomb: 10 KB that inflate to 10 MiB of zeros.
    const std::string bomb = write_gz(dir / "bomb.gz", std::string(10 << 20, '\0'));
    REQUIRE(fs::file_size(bomb) < 20000);
    CHECK_THROWS_WITH(read_file(bomb, 1 << 20),
                      Contains(bomb + ": holds more than 1048576 bytes (after gunzipping)"));
    CHECK_THROWS_WITH(read_file(dir / "big", bytes.size() - 1), Contains(dir / "big" + ": holds more than"));
}

TEST_CASE("files that are not regular files are refused before they are opened", "[readers]") {
    TempDir dir;
    // A FIFO without a writer would block open() forever; the alarm ends a test that hangs.
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    ::alarm(20);
    for (const std::string& path : {dir / "fifo", dir.path.string(), std::string("/dev/zero"), std::string("/dev/null")})
        CHECK_THROWS_WITH(read_file(path), Contains(path + ": not a regular file"));
    CHECK_THROWS_WITH(data::read_csv(dir / "fifo"), Contains("fifo: not a regular file"));
    fs::create_directories(dir / "images/0");
    REQUIRE(::mkfifo((dir / "images/0/a.png").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(data::read_image_folder(dir / "images"), Contains("a.png: not a regular file"));
    ::alarm(0);
    CHECK_THROWS_WITH(read_file(dir / "none"), Contains("none: cannot open: No such file"));
}

TEST_CASE("check_memory refuses more than the cap, naming what and the bytes", "[readers]") {
    CHECK_NOTHROW(check_memory("a batch", max_memory_bytes));
    CHECK_THROWS_WITH(check_memory("a batch", 3.0 * max_memory_bytes),
                      "a batch would need 25769803776 bytes (24 GiB), more than the 8 GiB hebb allocates for one input");
    CHECK_THROWS_WITH(check_memory("x", 1e300), Contains("x would need more than 10^18 bytes"));
}

TEST_CASE("read_idx rejects broken files, naming the file and the problem", "[readers]") {
    TempDir dir;
    const std::string images = write_raw(dir / "images", tiny_images);
    const std::string labels = write_raw(dir / "labels", tiny_labels);
    // Writes a broken images file (raw and gzipped) and checks both messages.
    const auto bad_images = [&](const std::string& name, const std::string& bytes, const std::string& problem) {
        for (const std::string& path : {write_raw(dir / name, bytes), write_gz(dir / (name + ".gz"), bytes)}) {
            INFO(path);
            CHECK_THROWS_WITH(data::read_idx(path, labels), Contains(path) && Contains(problem));
        }
    };
    const auto bad_labels = [&](const std::string& name, const std::string& bytes, const std::string& problem) {
        const std::string path = write_raw(dir / name, bytes);
        CHECK_THROWS_WITH(data::read_idx(images, path), Contains(path) && Contains(problem));
    };

    bad_images("empty", "", "has 0 bytes, fewer than the 4-byte magic");
    bad_images("text", "hello, world\n",
               "not an IDX file: the magic at offset 0 starts with 0x68 0x65 instead of 0x00 0x00");
    bad_images("floats", idx({2, 2, 3}, tiny_pixels, 0x0d), "IDX data type 0x0d at offset 2 is not 0x08");
    bad_images("rank2", idx({2, 6}, tiny_pixels), "2 dimensions (the byte at offset 3), but images need 3");
    bad_labels("rank3", idx({2, 1, 1}, {7, 0}), "3 dimensions (the byte at offset 3), but labels need 1");
    bad_images("short_header", tiny_images.substr(0, 10),
               "truncated header: 3 dimensions need 16 header bytes, the file has 10");
    bad_images("zero", idx({2, 0, 3}, ""), "dimension 1 (offset 8) is 0");
    bad_images("truncated", tiny_images.substr(0, tiny_images.size() - 1),
               "truncated: the header promises 2 x 2 x 3 data bytes from offset 16, but only 11 follow");
    bad_images("trailing", tiny_images + "xyz",
               "3 bytes of trailing data at offset 28: the dimensions 2 x 2 x 3 disagree with the file size 31");
    bad_labels("three_labels", idx({3}, {7, 0, 1}), "holds 2 images but " + dir / "three_labels" + " holds 3 labels");
    bad_labels("label10", idx({2}, {7, 10}), "label 10 of sample 1 (offset 9) is not below classes = 10");
    CHECK_THROWS_WITH(data::read_idx(images, labels, 7),
                      Contains(labels) && Contains("label 7 of sample 0 (offset 8) is not below classes = 7"));
    CHECK_THROWS_WITH(data::read_idx(images, labels, 0), Contains("classes must be positive, got 0"));
    CHECK_THROWS_WITH(data::read_idx(dir / "missing", labels),
                      Contains(dir / "missing") && Contains("cannot open: No such file or directory"));
    CHECK_THROWS_WITH(data::read_idx(dir.path.string(), labels),
                      Contains(dir.path.string() + ": not a regular file"));

    // Broken gzip streams: garbage after the magic, and a valid stream cut short.
    const std::string garbage = write_raw(dir / "garbage.gz", "\x1f\x8b garbage, not deflate data");
    CHECK_THROWS_WITH(data::read_idx(garbage, labels),
                      Contains(garbage) && Contains("corrupt gzip data after 0 decompressed bytes"));
    write_gz(dir / "big.gz", idx({100, 28, 28}, std::string(78400, 'x')));
    std::ifstream in(dir / "big.gz", std::ios::binary);
    const std::string compressed{std::istreambuf_iterator<char>(in), {}};
    const std::string cut = write_raw(dir / "cut.gz", compressed.substr(0, compressed.size() / 2));
    CHECK_THROWS_WITH(data::read_idx(cut, labels),
                      Contains(cut) && Contains("corrupt gzip data") && Contains("unexpected end of file"));
}

TEST_CASE("read_idx does not trust a lying header", "[readers]") {
    TempDir dir;
    const std::string labels = write_raw(dir / "labels", idx({4'000'000'000u}, "abc"));
    // 4 billion 28x28 images promised (3 TB) and one there; dimensions whose product overflows 64 bits.
    const std::string liar = idx({4'000'000'000u, 28, 28}, std::string(784, '\0'));
    for (const std::string& images : {write_gz(dir / "liar.gz", liar), write_raw(dir / "liar", liar),
                                      write_gz(dir / "overflow.gz", idx({~0u, ~0u, ~0u}, "x"))}) {
        CHECK_THROWS_WITH(data::read_idx(images, labels),
                          Contains(images) && Contains("truncated: the header promises"));
    }
    CHECK_THROWS_WITH(data::read_idx(write_raw(dir / "images", tiny_images), labels),
                      Contains(labels) && Contains("truncated: the header promises 4000000000 data bytes "
                                                   "from offset 8, but only 3 follow"));
}

TEST_CASE("read_idx loads the Fashion-MNIST and MNIST test sets", "[readers]") {
    const auto fashion = fashion_test_set();
    REQUIRE(fashion.size() == 10000);
    REQUIRE(fashion.dim() == 784);
    CHECK(class_counts(fashion) == std::vector<int>(10, 1000));
    CHECK(fashion.labels[0] == 9);  // an ankle boot
    CHECK(fashion.features().minCoeff() == 0.0f);
    CHECK(fashion.features().maxCoeff() == 1.0f);
    CHECK(fashion.features().mean() == Approx(0.2868).margin(0.002));

    // The same files gunzipped read the same.
    TempDir dir;
    const std::string images = write_raw(dir / "images", read_file(fashion_file("t10k-images-idx3-ubyte.gz")));
    const std::string labels = write_raw(dir / "labels", read_file(fashion_file("t10k-labels-idx1-ubyte.gz")));
    CHECK(fs::file_size(images) == 16 + 10000 * 784);
    const auto raw = data::read_idx(images, labels);
    CHECK(raw.features() == fashion.features());
    CHECK(raw.labels == fashion.labels);

    // The original MNIST files come raw.
    const auto mnist = data::read_idx(setup_file("mnist/t10k-images-idx3-ubyte"),
                                      setup_file("mnist/t10k-labels-idx1-ubyte"));
    REQUIRE(mnist.size() == 10000);
    CHECK(class_counts(mnist) == std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
    CHECK(mnist.labels[0] == 7);
}

TEST_CASE("read_csv reads numbers and labels, with or without a header", "[readers]") {
    TempDir dir;
    const std::string plain = write_raw(dir / "plain.csv", "1,2,0\n3,-4e-1,2\n\n 5 ,\t6,1\n");
    auto d = data::read_csv(plain);
    REQUIRE(d.size() == 3);
    CHECK(d.features() == Matrix{{1.0f, 2.0f}, {3.0f, -0.4f}, {5.0f, 6.0f}});
    CHECK(d.labels == std::vector<int>{0, 2, 1});
    CHECK(d.classes == 3);
    CHECK(d.class_names.empty());

    // The label in the first or a middle column.
    d = data::read_csv(plain, 0);
    CHECK(d.features() == Matrix{{2.0f, 0.0f}, {-0.4f, 2.0f}, {6.0f, 1.0f}});
    CHECK(d.labels == std::vector<int>{1, 3, 5});
    CHECK(d.classes == 6);
    CHECK(data::read_csv(plain, 2).labels == std::vector<int>{0, 2, 1});
    CHECK(data::read_csv(write_raw(dir / "middle.csv", "0.5,1,9\n0.25,0,8\n"), 1).labels == std::vector<int>{1, 0});

    // Headers: named columns, sklearn's form (with class names), a numeric row of another width, CRLF.
    const std::string named = write_raw(dir / "named.csv", "x, y, label\r\n1,2,0\r\n3,4,1\r\n");
    d = data::read_csv(named);
    CHECK(d.features() == Matrix{{1.0f, 2.0f}, {3.0f, 4.0f}});
    CHECK(d.class_names.empty());
    d = data::read_csv(write_raw(dir / "sklearn.csv", "3,2,setosa,versicolor\n1,2,0\n3,4,1\n5,6,1\n"));
    CHECK(d.size() == 3);
    CHECK(d.class_names == std::vector<std::string>{"setosa", "versicolor"});
    const std::string counts = write_raw(dir / "counts.csv", "2,2\n1,2,0\n3,4,1\n");
    CHECK(data::read_csv(counts).size() == 2);
    CHECK_THROWS_WITH(data::read_csv(counts, -1, false), Contains("row 2 has 3 cells, expected 2 as in row 1"));
    // Forced: a numeric first row skipped, or read as data.
    const std::string numeric = write_raw(dir / "numeric.csv", "9,9,1\n1,2,0\n");
    CHECK(data::read_csv(numeric, -1, true).labels == std::vector<int>{0});
    CHECK(data::read_csv(numeric, -1, false).labels == std::vector<int>{1, 0});
    CHECK(data::read_csv(numeric).labels == std::vector<int>{1, 0});
    CHECK_THROWS_WITH(data::read_csv(named, -1, false),
                      Contains(named) && Contains("row 1, column 1: 'x' is not a number"));

    // Gzipped, as sklearn's digits.csv.gz.
    const std::string gz = write_gz(dir / "plain.csv.gz", "1,2,0\n3,-4e-1,2\n\n 5 ,\t6,1\n");
    CHECK(data::read_csv(gz).features() == data::read_csv(plain).features());
}

TEST_CASE("read_csv rejects broken files, naming the file, row and column", "[readers]") {
    TempDir dir;
    const auto bad = [&](const std::string& name, const std::string& text, const std::string& problem,
                         int label_column = -1) {
        const std::string path = write_raw(dir / name, text);
        CHECK_THROWS_WITH(data::read_csv(path, label_column), Contains(path) && Contains(problem));
    };
    std::string ragged = "a,b,c,d,e,label\n";
    for (int row = 2; row <= 20; ++row) ragged += row == 17 ? "1,2,3,4,0\n" : "1,2,3,4,5,0\n";
    bad("ragged.csv", ragged, "row 17 has 5 cells, expected 6 as in row 2");
    bad("word.csv", "1,2,0\n3,four,1\n", "row 2, column 2: 'four' is not a number");
    bad("empty_cell.csv", "1,2,0\n3,,1\n", "row 2, column 2: '' is not a number");
    bad("nan.csv", "1,2,0\n3,nan,1\n", "row 2, column 2: 'nan' is not a number");
    bad("fraction.csv", "1,2,0\n3,4,1.5\n", "row 2, column 3: label '1.5' is not a non-negative integer");
    bad("negative.csv", "1,2,0\n3,4,-1\n", "row 2, column 3: label '-1' is not a non-negative integer");
    bad("first_label.csv", "7.5,2,0\n3,4,1\n", "row 1, column 1: label '7.5' is not", 0);
    bad("empty.csv", "", "empty file (no rows)");
    bad("blank.csv", "\n \n\r\n", "empty file (no rows)");
    bad("header_only.csv", "x,y,label\n", "no data rows after the header on row 1");
    bad("one_column.csv", "1\n2\n", "row 1 has 1 cell; need at least one feature and a label");
    bad("column3.csv", "1,2,0\n",
        "label column 3 is out of range for rows of 3 cells (use 0..2, or -1 for the last)", 3);
    bad("column-2.csv", "1,2,0\n", "label column -2 is out of range", -2);
    CHECK_THROWS_WITH(data::read_csv(dir / "missing.csv"), Contains(dir / "missing.csv") && Contains("cannot open"));
}

TEST_CASE("read_csv reads the encodings and line endings CSV files carry", "[readers]") {
    TempDir dir;
    const std::string plain = "a,b,label\n1,2,0\n3,4,1\n5,6,0\n";
    const auto d = data::read_csv(write_raw(dir / "plain.csv", plain));
    const std::map<std::string, std::string> variants{
        {"bom", "\xef\xbb\xbf" + plain},                       // Excel's "CSV UTF-8"
        {"crlf", "a,b,label\r\n1,2,0\r\n3,4,1\r\n5,6,0\r\n"},   // Windows
        {"cr", "a,b,label\r1,2,0\r3,4,1\r5,6,0\r"},             // old Mac OS
        {"no final newline", "a,b,label\n1,2,0\n3,4,1\n5,6,0"},
        {"cr, no final newline", "a,b,label\r1,2,0\r3,4,1\r5,6,0"},
        {"blank trailing lines", plain + "\n\r\n  \n\r\r"},
        {"bom and crlf", "\xef\xbb\xbf" "a,b,label\r\n1,2,0\r\n3,4,1\r\n5,6,0\r\n\r\n"},
    };
    for (const auto& [name, text] : variants) {
        INFO(name);
        const auto v = data::read_csv(write_raw(dir / "v.csv", text));
        CHECK(v.features() == d.features());
        CHECK(v.labels == d.labels);
    }
    // Without a header a BOM would otherwise glue itself to the first number.
    CHECK(data::read_csv(write_raw(dir / "v.csv", "\xef\xbb\xbf" "1,2,0\r\n3,4,1\r\n"), -1, false).labels == std::vector<int>{0, 1});
    // Lines count from 1 whatever ends them: row 3 is the ragged one.
    CHECK_THROWS_WITH(data::read_csv(write_raw(dir / "v.csv", "1,2,0\r3,4,1\r\n5,6\n")), Contains("row 3 has 2 cells"));
    for (const std::string bom : {"\xff\xfe", "\xfe\xff"})
        CHECK_THROWS_WITH(data::read_csv(write_raw(dir / "u16.csv", bom + std::string("1\0,\0002\0", 6))),
                          Contains("u16.csv: UTF-16 text (a byte order mark at offset 0); hebb reads UTF-8 CSV: convert it"));
}

TEST_CASE("read_csv reads sklearn's datasets", "[readers]") {
    const auto iris = data::read_csv(setup_file("sklearn/iris.csv"));
    REQUIRE(iris.size() == 150);
    CHECK(iris.dim() == 4);
    CHECK(class_counts(iris) == std::vector<int>{50, 50, 50});
    CHECK(iris.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
    CHECK(iris.features().row(0) == Eigen::RowVector4f(5.1f, 3.5f, 1.4f, 0.2f));

    const auto digits = data::read_csv(setup_file("sklearn/digits.csv.gz"));
    REQUIRE(digits.size() == 1797);
    CHECK(digits.dim() == 64);
    CHECK(digits.classes == 10);
    for (const int n : class_counts(digits)) CHECK(std::abs(n - 180) <= 10);
    CHECK(digits.features().maxCoeff() == 16.0f);

    const auto wine = data::read_csv(setup_file("sklearn/wine_data.csv"));
    CHECK((wine.size() == 178 && wine.dim() == 13 && wine.classes == 3));
    const auto cancer = data::read_csv(setup_file("sklearn/breast_cancer.csv"));
    CHECK((cancer.size() == 569 && cancer.dim() == 30));
    CHECK(cancer.class_names == std::vector<std::string>{"malignant", "benign"});
}

TEST_CASE("read_image_folder reads back PNGs of Fashion-MNIST images byte for byte", "[readers]") {
    const auto fashion = fashion_test_set();
    TempDir dir;
    // DIR/<label>/<index>.png for the first 50 test images; the expected order is by folder, then name.
    std::map<std::string, std::map<std::string, Eigen::Index>> expected;  // label -> file name -> index
    for (Eigen::Index i = 0; i < 50; ++i) {
        const std::string label = std::to_string(fashion.labels[static_cast<size_t>(i)]);
        fs::create_directories(dir.path / label);
        const std::string name = std::to_string(i) + ".png";
        REQUIRE(stbi_write_png((dir.path / label / name).c_str(), 28, 28, 1, bytes_of(fashion, i).data(), 28) != 0);
        expected[label][name] = i;
    }

    const auto d = data::read_image_folder(dir.path.string());
    REQUIRE(d.size() == 50);
    REQUIRE(d.dim() == 784);
    CHECK(d.classes == static_cast<int>(expected.size()));
    std::vector<std::string> names;
    for (const auto& [label, files] : expected) names.push_back(label);
    CHECK(d.class_names == names);
    const Matrix gray = d.features(), reference = fashion.features();
    Eigen::Index row = 0;
    for (const auto& [label, files] : expected)
        for (const auto& [name, index] : files) {
            INFO(label << "/" << name);
            CHECK(d.class_names[static_cast<size_t>(d.labels[static_cast<size_t>(row)])] == label);
            CHECK(bytes_of(d, row) == bytes_of(fashion, index));
            CHECK(gray.row(row) == reference.row(index));
            ++row;
        }

    CHECK(d.image == ImageShape{1, 28, 28});

    // One colour image makes the folder RGB: each gray pixel becomes three equal channels, and a row
    // holds the red plane, then the green, then the blue (PyTorch's C x H x W).
    std::vector<unsigned char> rgb_pixels(28 * 28 * 3);
    for (size_t i = 0; i < rgb_pixels.size(); ++i) rgb_pixels[i] = static_cast<unsigned char>(i * 7 % 251);
    const std::string colour_file = (dir.path / names.back() / "zz_colour.png").string();
    REQUIRE(stbi_write_png(colour_file.c_str(), 28, 28, 3, rgb_pixels.data(), 28 * 3) != 0);
    const auto rgb = data::read_image_folder(dir.path.string());
    REQUIRE(rgb.dim() == 3 * 784);
    CHECK(rgb.image == ImageShape{3, 28, 28});
    const Matrix colour = rgb.features();
    for (Eigen::Index pixel = 0; pixel < 784; ++pixel)
        for (Eigen::Index channel = 0; channel < 3; ++channel)
            REQUIRE(colour(0, channel * 784 + pixel) == gray(0, pixel));
    const auto last = rgb.size() - 1;  // the colour image: the last file of the last class
    for (Eigen::Index pixel = 0; pixel < 784; ++pixel)
        for (Eigen::Index channel = 0; channel < 3; ++channel)
            REQUIRE(colour(last, channel * 784 + pixel) == rgb_pixels[static_cast<size_t>(3 * pixel + channel)] / 255.0f);
    fs::remove(colour_file);

    // A BMP in the same folder reads the same way.
    const std::string first_label = names.front();
    const Eigen::Index first_index = expected[first_label].begin()->second;
    const std::string bmp = (dir.path / first_label / "zz.BMP").string();
    REQUIRE(stbi_write_bmp(bmp.c_str(), 28, 28, 1, bytes_of(fashion, first_index).data()) != 0);
    const auto with_bmp = data::read_image_folder(dir.path.string());
    REQUIRE(with_bmp.size() == 51);
    // stb_image_write stores every BMP as 24-bit colour, so the folder now reads as RGB, the gray
    // pixels as three equal planes.
    REQUIRE(with_bmp.image == ImageShape{3, 28, 28});
    const auto bmp_row = static_cast<Eigen::Index>(expected[first_label].size());  // after the PNGs
    const Matrix bmp_pixels = with_bmp.features().row(bmp_row);
    for (Eigen::Index c = 0; c < 3; ++c) CHECK(bmp_pixels.middleCols(c * 784, 784) == reference.row(first_index));

    // An image of another size, and a corrupt one.
    std::vector<unsigned char> wide(30 * 28, 0);
    const std::string odd = (dir.path / names.back() / "odd.png").string();
    REQUIRE(stbi_write_png(odd.c_str(), 30, 28, 1, wide.data(), 30) != 0);
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()),
                      Contains(odd + " is 30x28 but ") && Contains(" is 28x28 (width x height)"));
    fs::remove(odd);
    const std::string corrupt = write_raw((dir.path / names.back() / "corrupt.png").string(), "not an image at all");
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()),
                      Contains(corrupt + ": not a PNG, JPEG or BMP file (by its first bytes)"));
}

TEST_CASE("read_image_folder reads JPEGs", "[readers]") {
    TempDir dir;
    fs::create_directories(dir.path / "a");
    std::vector<unsigned char> gray(28 * 28);
    for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<unsigned char>(i % 28 * 9);  // a ramp
    REQUIRE(stbi_write_jpg((dir / "a/x.jpg").c_str(), 28, 28, 1, gray.data(), 100) != 0);
    const auto d = data::read_image_folder(dir.path.string());
    // stb_image_write stores every JPEG in colour (three components), so it reads back as RGB.
    REQUIRE(d.image == ImageShape{3, 28, 28});
    const Matrix x = d.features();
    for (Eigen::Index c = 0; c < 3; ++c)
        for (size_t i = 0; i < gray.size(); ++i)  // lossy, but close at quality 100
            REQUIRE(x(0, c * 784 + static_cast<Eigen::Index>(i)) * 255.0f == Approx(gray[i]).margin(8));
}

TEST_CASE("read_image_folder refuses formats other than PNG, JPEG and BMP, and what stb_image mishandles", "[readers]") {
    TempDir dir;
    fs::create_directories(dir.path / "a");
    const std::string file = dir / "a/x.png";
    const auto refused = [&](const std::string& bytes) {
        write_raw(file, bytes);
        try {
            data::read_image_folder(dir.path.string());
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("read");
    };

    // Formats stb_image decodes but hebb does not read: a 1x1 PGM, a GIF header.
    CHECK_THAT(refused(std::string("P5\n1 1\n255\n\x80", 12)), Contains(file + ": not a PNG, JPEG or BMP file"));
    CHECK_THAT(refused(std::string("GIF89a\x01\0\x01\0", 10)), Contains(file + ": not a PNG, JPEG or BMP file"));

    // A JPEG whose Huffman table claims 300 codes (255 + 45 of lengths 15 and 16), in a segment long
    // enough to hold them; and one whose 10 codes run past a segment that holds 17 + 5 bytes.
    const auto dht = [](const std::string& counts, size_t codes, size_t length) {
        return std::string("\xff\xd8\xff\xc4", 4) + char(length >> 8) + char(length & 0xff) + '\0' + counts +
               std::string(codes, '\x01') + "\xff\xd9";
    };
    const std::string zeros(14, '\0');
    CHECK_THAT(refused(dht(zeros + "\xff\x2d", 300, 2 + 17 + 300)),
               Contains(file + ": corrupt JPEG: the Huffman table at offset 6 has 300 codes"));
    CHECK_THAT(refused(dht(zeros + std::string("\0\x0a", 2), 5, 2 + 17 + 5)),
               Contains(file + ": corrupt JPEG: the Huffman table at offset 6 has 10 codes"));

    // A JPEG whose scan decodes with an AC table no DHT defined (found by fuzzing): its second DHT
    // was turned from AC table 0 into a second DC table 0.
    const std::string undefined_table = read_file(HEBB_FIXTURES "/../fuzz/regressions/image/jpeg-huffman-code-mismatch.jpg");
    CHECK_THAT(refused(undefined_table), Contains(file + ": corrupt JPEG: the scan at offset ") &&
                                             Contains("decodes with Huffman table AC 0, which no DHT segment defines before it"));

    // A 1x1 gray PNG whose first IDAT chunk is empty (stb_image ignores the CRCs, zero here).
    const auto chunk = [](const std::string& type, const std::string& data) {
        const auto n = static_cast<std::uint32_t>(data.size());
        return std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)} + type + data + std::string(4, '\0');
    };
    const std::string ihdr = chunk("IHDR", std::string("\0\0\0\x01\0\0\0\x01\x08\0\0\0\0", 13));
    CHECK_THAT(refused("\x89PNG\r\n\x1a\n" + ihdr + chunk("IDAT", "") + chunk("IEND", "")),
               Contains(file + ": corrupt PNG: the first image data chunk (IDAT, offset 33) is empty"));
    // One whose IDAT chunk claims 2^31 bytes, for which stb_image would allocate 2 GiB.
    CHECK_THAT(refused("\x89PNG\r\n\x1a\n" + ihdr + std::string("\x80\0\0\0IDAT", 8) + chunk("IEND", "")),
               Contains(file + ": corrupt PNG: the chunk at offset 33 claims 2147483648 bytes, more than the file holds"));
}

TEST_CASE("read_image_folder checks every image's size and the folder's memory before decoding", "[readers]") {
    TempDir dir;
    // PNGs of a header alone (IHDR, gray, no image data): stb_image reads their size but cannot
    // decode them, so an error about their size shows it came before any decoding.
    const auto header_only = [](std::uint32_t w, std::uint32_t h) {
        std::string ihdr{'\0', '\0', '\0', '\x0d', 'I', 'H', 'D', 'R'};
        for (const std::uint32_t v : {w, h})
            for (int shift = 24; shift >= 0; shift -= 8) ihdr += static_cast<char>(v >> shift & 0xff);
        return "\x89PNG\r\n\x1a\n" + ihdr + std::string("\x08\0\0\0\0", 5) + std::string(4, '\0') +
               std::string("\0\0\0\0IEND\0\0\0\0", 12);
    };
    fs::create_directories(dir.path / "a");
    fs::create_directories(dir.path / "b");
    write_raw(dir / "a/1.png", header_only(4, 4));
    write_raw(dir / "b/2.png", header_only(5, 4));
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()), Contains(dir / "b/2.png" + " is 5x4 but"));
    // 129 images of 8192 x 8192 need 8.06 GiB: refused from their headers, naming the folder.
    fs::remove_all(dir.path / "b");
    for (int i = 0; i < 129; ++i) write_raw(dir / ("a/" + std::to_string(1000 + i) + ".png"), header_only(8192, 8192));
    fs::remove(dir / "a/1.png");
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()),
                      Contains(dir.path.string() + ": 129 images of 8192x8192x1 pixels would need 8657043456 bytes") &&
                          Contains("more than the 8 GiB hebb allocates"));
    // Within the cap the first one fails to decode, as it must.
    for (int i = 1; i < 129; ++i) fs::remove(dir / ("a/" + std::to_string(1000 + i) + ".png"));
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()), Contains("1000.png: cannot read the image"));
}

TEST_CASE("read_image_folder rejects empty folders", "[readers]") {
    TempDir dir;
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()), Contains(dir.path.string() + ": no class folders"));
    CHECK_THROWS_WITH(data::read_image_folder(dir / "missing"),
                      Contains(dir / "missing") && Contains("not a folder"));
    fs::create_directories(dir.path / "cat");
    write_raw(dir / "cat/notes.txt", "not an image");
    CHECK_THROWS_WITH(data::read_image_folder(dir.path.string()),
                      Contains(dir / "cat") && Contains("a class folder without images"));
}
