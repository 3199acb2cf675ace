#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hebb.h"

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

TEST_CASE("a model and a run's state round-trip through one checkpoint", "[checkpoint]") {
    const fs::path path = temp_dir() / "mlp.safetensors";
    Generator gen(8);
    const nn::MlpSpec spec{{5, 4, 3}, "gelu", 0.25f};
    auto net = nn::mlp(spec, gen);
    optim::Adam adam(net->parameters(), {.amsgrad = true});
    nn::CrossEntropyLoss ce;
    const Tensor x(randn(6, 5, gen).value());
    const std::vector<int> y{0, 1, 2, 2, 1, 0};
    ce((*net)(x), y).backward();
    adam.step();
    // A best accuracy that 6 decimals would round, and a generator state mid-sequence.
    const training::RunState run{3, 0.1234567890123, gen.state(), adam.state_dict()};
    training::save_checkpoint(path, spec, *net, run, {{"note", "kept"}});

    const training::Checkpoint loaded = training::load_checkpoint(path);
    CHECK(loaded.spec.arch() == "5-4-3");
    CHECK(loaded.spec.activation == "gelu");
    CHECK(loaded.spec.dropout == 0.25f);
    CHECK(loaded.notes == Metadata{{"note", "kept"}});
    net->eval(), loaded.model->eval();
    CHECK((*loaded.model)(x).value() == (*net)(x).value());
    REQUIRE(loaded.run);
    CHECK(loaded.run->epoch == 3);
    CHECK(loaded.run->best_val_acc == 0.1234567890123);
    CHECK(loaded.run->generator == gen.state());
    REQUIRE(loaded.run->optimizer);
    const optim::OptimizerState& o = *loaded.run->optimizer;
    CHECK(o.step == 1);
    REQUIRE(o.params.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
        REQUIRE(o.params[i].size() == 3);  // exp_avg, exp_avg_sq, max_exp_avg_sq
        for (size_t b = 0; b < 3; ++b) {
            CHECK(o.params[i][b].name == run.optimizer->params[i][b].name);
            CHECK(o.params[i][b].value == run.optimizer->params[i][b].value);
        }
    }
    // The layout on disk: PyTorch's keys for the model, the optimizer under optim.
    const SafetensorsFile file = load_safetensors(path);
    CHECK(file.arrays[0].name == "0.weight");
    CHECK(file.arrays[4].name == "optim.step");
    CHECK(file.arrays[5].name == "optim.state.0.exp_avg");
    CHECK(file.metadata.at("format") == "hebb");
    CHECK(file.metadata.at("epoch") == "3");

    // A model alone has no run state.
    training::save_checkpoint(path, spec, *net);
    CHECK_FALSE(training::load_checkpoint(path).run);
}

TEST_CASE("a checkpoint's run state is checked", "[checkpoint]") {
    const fs::path path = temp_dir() / "bad_run.safetensors";
    auto net = nn::mlp({{3, 2}});
    const Metadata spec{{"arch", "3-2"}, {"activation", "relu"}};
    const auto with = [&](Metadata extra, StateDict arrays = {}) {
        extra.insert(spec.begin(), spec.end());
        StateDict all = net->state_dict();
        all.insert(all.end(), arrays.begin(), arrays.end());
        save_safetensors(path, all, extra);
        return path.string();
    };
    CHECK_THROWS_WITH(training::load_checkpoint(with({{"epoch", "x"}, {"best_val_acc", "0"}, {"rng", "1"}})),
                      Catch::Contains("metadata epoch 'x' is not a number"));
    CHECK_THROWS_WITH(training::load_checkpoint(with({{"epoch", "2"}})), Catch::Contains("not best_val_acc and rng"));
    CHECK_THROWS_WITH(training::load_checkpoint(with({}, {{"optim.step", Matrix::Ones(1, 1), 0}})),
                      Catch::Contains("holds optimizer state but no epoch"));
    const Metadata run{{"epoch", "2"}, {"best_val_acc", "0.5"}, {"rng", "1"}};
    CHECK_THROWS_WITH(training::load_checkpoint(with(run, {{"optim.state.x.exp_avg", Matrix::Ones(2, 3)}})),
                      Catch::Contains("'optim.state.x.exp_avg' is neither the model's nor"));
    CHECK_THROWS_WITH(training::load_checkpoint(with(run, {{"optim.state.2.exp_avg", Matrix::Ones(2, 3)}})),
                      Catch::Contains("optimizer state for parameter 2 of a model with 2"));
    CHECK_THROWS_WITH(training::load_checkpoint(with({{"dropout", "nan"}})), Catch::Contains("dropout nan is not in [0, 1)"));
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
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains("needs 'arch' and 'activation'"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "relu"}, {"format", "other"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains("format is 'other'"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-4"}, {"activation", "relu"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains(path.string()) && Catch::Contains("arch 3-4 needs 16 weights and biases, the file holds 8"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "relu"}, {"format_version", "2"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains("format_version 2"));
}
