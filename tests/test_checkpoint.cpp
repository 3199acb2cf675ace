#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/hebb.h"

using namespace hebb;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("hebb_checkpoint_test_" + std::to_string(::getpid()));
        fs::remove_all(d);
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

// A file made by hand: header JSON text plus `data` bytes.
std::string file_with(const std::string& header, const std::string& data) {
    const std::uint64_t n = header.size();
    std::string out(reinterpret_cast<const char*>(&n), 8);
    return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
    std::string out;
    for (float v : values) out.append(reinterpret_cast<const char*>(&v), 4);
    return out;
}

}  // namespace

TEST_CASE("safetensors files round-trip values, ranks and metadata", "[checkpoint]") {
    const fs::path path = temp_dir() / "roundtrip.safetensors";
    Generator gen(5);
    const StateDict arrays{{"w", randn(3, 4, gen).value(), 2},
                           {"b", randn(1, 4, gen).value(), 1},
                           {"s", Matrix::Constant(1, 1, 7.0f), 0},
                           {"empty", Matrix(0, 3), 2}};
    save_safetensors(path, arrays, {{"arch", "4-3"}, {"note", "x"}});
    const SafetensorsFile f = load_safetensors(path);
    REQUIRE(f.arrays.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
        CHECK(f.arrays[i].name == arrays[i].name);
        CHECK(f.arrays[i].rank == arrays[i].rank);
        CHECK(f.arrays[i].value == arrays[i].value);
    }
    CHECK(f.metadata == Metadata{{"arch", "4-3"}, {"note", "x"}});
    for (const auto& e : fs::directory_iterator(temp_dir()))
        CHECK_THAT(e.path().filename().string(), !Catch::Contains(".tmp."));
}

TEST_CASE("safetensors files have the documented byte layout", "[checkpoint]") {
    const fs::path path = temp_dir() / "layout.safetensors";
    save_safetensors(path, {{"a", Tensor::from({{1, 2}, {3, 4}}).value(), 2}, {"b", Tensor::from({{5, 6}}).value(), 1}},
                     {{"format", "hebb"}});
    const std::string bytes = read_bytes(path);
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    CHECK(n % 8 == 0);
    const auto header = nlohmann::json::parse(bytes.substr(8, n));
    CHECK(header["a"]["dtype"] == "F32");
    CHECK(header["a"]["shape"] == nlohmann::json::array({2, 2}));
    CHECK(header["a"]["data_offsets"] == nlohmann::json::array({0, 16}));
    CHECK(header["b"]["shape"] == nlohmann::json::array({2}));
    CHECK(header["b"]["data_offsets"] == nlohmann::json::array({16, 24}));
    CHECK(header["__metadata__"]["format"] == "hebb");
    CHECK(bytes.size() == 8 + n + 24);
    CHECK(bytes.substr(8 + n) == floats({1, 2, 3, 4, 5, 6}));  // row-major little-endian float32
}

TEST_CASE("a model and optimizer state round-trip through one checkpoint", "[checkpoint]") {
    const fs::path path = temp_dir() / "mlp.safetensors";
    Generator gen(8);
    const nn::MlpSpec spec{{5, 4, 3}, "gelu"};
    auto net = nn::mlp(spec, gen);
    optim::Adam adam(net->parameters());
    nn::CrossEntropyLoss ce;
    const Tensor x(randn(6, 5, gen).value());
    const std::vector<int> y{0, 1, 2, 2, 1, 0};
    ce((*net)(x), y).backward();
    adam.step();
    StateDict extra;
    for (NamedArray a : adam.state_dict()) {
        a.name = "optim." + a.name;
        extra.push_back(a);
    }
    nn::save_mlp(path, spec, *net, extra, {{"epoch", "3"}});

    const nn::LoadedMlp loaded = nn::load_mlp(path);
    CHECK(loaded.spec.arch() == "5-4-3");
    CHECK(loaded.spec.activation == "gelu");
    CHECK(loaded.metadata.at("epoch") == "3");
    CHECK(loaded.metadata.at("format") == "hebb");
    CHECK(loaded.metadata.at("format_version") == "1");
    CHECK((*loaded.model)(x).value() == (*net)(x).value());
    REQUIRE(loaded.extra.size() == extra.size());
    CHECK(loaded.extra[0].name == "optim.step");
}

TEST_CASE("a failed write leaves the old checkpoint and no temporary file", "[checkpoint]") {
    const fs::path dir = temp_dir() / "atomic";
    fs::create_directories(dir / "target_is_a_dir" / "child");
    const fs::path good = dir / "good.safetensors";
    save_safetensors(good, {{"x", Matrix::Ones(2, 2), 2}});
    const std::string before = read_bytes(good);
    CHECK_THROWS_WITH(save_safetensors(dir / "target_is_a_dir", {{"x", Matrix::Ones(2, 2), 2}}),
                      Catch::Contains("target_is_a_dir: cannot rename"));
    CHECK_THROWS_WITH(save_safetensors(dir / "no_such_dir" / "f.safetensors", {}),
                      Catch::Contains("cannot create a temporary file"));
    save_safetensors(good, {{"x", Matrix::Zero(2, 2), 2}});  // replaces the file whole
    CHECK(load_safetensors(good).arrays[0].value == Matrix::Zero(2, 2));
    CHECK(read_bytes(good) != before);
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
    CHECK(files == 1);
}

TEST_CASE("corrupted and lying files are rejected with a clear error", "[checkpoint]") {
    const fs::path path = temp_dir() / "bad.safetensors";
    const std::string ok_header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string data = floats({1, 2});
    REQUIRE_NOTHROW((write_bytes(path, file_with(ok_header, data)), load_safetensors(path)));

    struct Case {
        std::string bytes, expected;
    };
    std::uint64_t huge = 1ull << 62;
    const std::vector<Case> cases{
        {"abc", "too short"},
        {std::string(reinterpret_cast<const char*>(&huge), 8) + "{}", "header length 4611686018427387904 at offset 0"},
        {file_with("{not json", ""), "not valid JSON"},
        {file_with("[1,2]", ""), "not a JSON object"},
        {file_with(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", "abcd"), "dtype \"F16\""},
        {file_with(R"({"a":{"dtype":"F32","shape":[1,1,2],"data_offsets":[0,8]}})", data), "rank 0, 1 or 2"},
        {file_with(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data), "bad dimension"},
        {file_with(R"({"a":{"dtype":"F32","shape":[2]}})", data), "needs dtype, shape and data_offsets"},
        {file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}})", data), "outside the 8 data bytes"},
        {file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data), "shape [3] but 8 data bytes"},
        {file_with(R"({"a":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}})", data), "shape [1000000,1000000] but 8 data bytes"},
        {file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data), "overlaps"},
        {file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data), "leaves a hole at data offset 0"},
        {file_with(ok_header, data + "xxxx"), "4 bytes after the last tensor"},
        {file_with(ok_header, data.substr(0, 6)), "outside the 6 data bytes"},
        {file_with(R"({"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data), "value of 'k' is not a string"},
    };
    for (const Case& c : cases) {
        INFO(c.expected);
        write_bytes(path, c.bytes);
        CHECK_THROWS_WITH(load_safetensors(path), Catch::Contains(path.string()) && Catch::Contains(c.expected));
    }
    CHECK_THROWS_WITH(load_safetensors(temp_dir() / "missing.safetensors"), Catch::Contains("cannot read"));
}

TEST_CASE("load_mlp needs the metadata and matching weights", "[checkpoint]") {
    const fs::path path = temp_dir() / "meta.safetensors";
    auto net = nn::mlp({{3, 2}, "relu"});
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}});
    CHECK_THROWS_WITH(nn::load_mlp(path), Catch::Contains("needs 'arch' and 'activation'"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "relu"}, {"format", "other"}});
    CHECK_THROWS_WITH(nn::load_mlp(path), Catch::Contains("format is 'other'"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-4"}, {"activation", "relu"}});
    CHECK_THROWS_WITH(nn::load_mlp(path), Catch::Contains(path.string()) && Catch::Contains("arch 3-4 needs 16 weights and biases, the file holds 8"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "relu"}, {"format_version", "2"}});
    CHECK_THROWS_WITH(nn::load_mlp(path), Catch::Contains("format_version 2"));
}
