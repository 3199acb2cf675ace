#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

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
    const StateDict arrays{{"w", randn(3, 4, gen).value(), {3, 4}},
                           {"b", randn(1, 4, gen).value(), {4}},
                           {"s", Matrix::Constant(1, 1, 7.0f), {}},
                           {"conv", randn(2, 12, gen).value(), {2, 3, 2, 2}},
                           {"empty", Matrix(0, 3), {0, 3}}};
    save_safetensors(path, arrays, {{"arch", "4-3"}, {"note", "x"}});
    const SafetensorsFile f = load_safetensors(path);
    REQUIRE(f.arrays.size() == 5);
    for (size_t i = 0; i < 5; ++i) {
        CHECK(f.arrays[i].name == arrays[i].name);
        CHECK(f.arrays[i].shape == arrays[i].shape);
        CHECK(f.arrays[i].value == arrays[i].value);
    }
    CHECK(f.metadata == Metadata{{"arch", "4-3"}, {"note", "x"}});
    for (const auto& e : fs::directory_iterator(temp_dir()))
        CHECK_THAT(e.path().filename().string(), !Catch::Contains(".tmp."));
}

TEST_CASE("safetensors files have the documented byte layout", "[checkpoint]") {
    const fs::path path = temp_dir() / "layout.safetensors";
    save_safetensors(path, {{"a", Tensor::from({{1, 2}, {3, 4}}).value(), {2, 2}}, {"b", Tensor::from({{5, 6}}).value(), {2}}},
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
    training::save_checkpoint(path, nn::model_spec(spec), *net, run, {{"note", "kept"}});

    const training::Checkpoint loaded = training::load_checkpoint(path);
    CHECK(loaded.spec.arch == "5-4-3");
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
    REQUIRE(o.params.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
        REQUIRE(o.params[i].size() == 4);  // step, exp_avg, exp_avg_sq, max_exp_avg_sq
        CHECK(o.params[i][0].value(0, 0) == 1.0f);
        for (size_t b = 0; b < 4; ++b) {
            CHECK(o.params[i][b].name == run.optimizer->params[i][b].name);
            CHECK(o.params[i][b].value == run.optimizer->params[i][b].value);
        }
    }
    // The layout on disk: PyTorch's keys for the model, the optimizer under optim.
    const SafetensorsFile file = load_safetensors(path);
    CHECK(file.arrays[0].name == "0.weight");
    CHECK(file.arrays[4].name == "optim.state.0.step");
    CHECK(file.arrays[4].shape.empty());  // a scalar, as PyTorch's state['step']
    CHECK(file.arrays[5].name == "optim.state.0.exp_avg");
    CHECK(file.metadata.at("format") == "hebb");
    CHECK(file.metadata.at("epoch") == "3");

    // A model alone has no run state.
    training::save_checkpoint(path, nn::model_spec(spec), *net);
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
    CHECK_THROWS_WITH(training::load_checkpoint(with({}, {{"optim.step", Matrix::Ones(1, 1), {}}})),
                      Catch::Contains("holds optimizer state but no epoch"));
    const Metadata run{{"epoch", "2"}, {"best_val_acc", "0.5"}, {"rng", Generator(1).state()}};
    CHECK_THROWS_WITH(training::load_checkpoint(with(run, {{"optim.state.x.exp_avg", Matrix::Ones(2, 3), {2, 3}}})),
                      Catch::Contains("'optim.state.x.exp_avg' is neither the model's nor"));
    CHECK_THROWS_WITH(training::load_checkpoint(with(run, {{"optim.x", Matrix::Ones(2, 3), {2, 3}}})),
                      Catch::Contains("'optim.x' is neither the model's nor"));
    CHECK_THROWS_WITH(training::load_checkpoint(with(run, {{"optim.state.2.exp_avg", Matrix::Ones(2, 3), {2, 3}}})),
                      Catch::Contains("optimizer state for parameter 2 of a model with 2"));
    CHECK_THROWS_WITH(training::load_checkpoint(with({{"dropout", "nan"}})), Catch::Contains("dropout nan is not in [0, 1)"));
    CHECK_THROWS_WITH(training::load_checkpoint(with({{"dropout", "-0.5"}})), Catch::Contains("dropout -0.5 is not in [0, 1)"));
    const auto run_with = [&](const std::string& key, const std::string& value) {
        Metadata m = run;
        m[key] = value;
        return with(m);
    };
    CHECK_NOTHROW(training::load_checkpoint(run_with("rng", Generator(7).state())));
    CHECK(training::load_checkpoint(run_with("best_val_acc", "-1")).run->best_val_acc == -1.0);
    CHECK_THROWS_WITH(training::load_checkpoint(run_with("epoch", "-3")), Catch::Contains(path.string() + ": metadata epoch -3 is not in [0, 1000000]"));
    CHECK_THROWS_WITH(training::load_checkpoint(run_with("epoch", "99999999999")), Catch::Contains("metadata epoch '99999999999' is not a number"));
    for (const std::string bad : {"nan", "inf", "1.5", "-0.5"})
        CHECK_THROWS_WITH(training::load_checkpoint(run_with("best_val_acc", bad)),
                          Catch::Contains("metadata best_val_acc " + bad + " is neither -1 (no validation) nor in [0, 1]"));
    // A bad generator state fails at load, not when the resumed run first draws from it.
    CHECK_THROWS_WITH(training::load_checkpoint(run_with("rng", "not a state")),
                      Catch::Contains(path.string() + ": metadata rng: Generator::set_state: not a generator state"));
    CHECK_THROWS_WITH(training::load_checkpoint(with({{"epoch", "1"}, {"best_val_acc", "0.5"}, {"rng", Generator(1).state()}}, {{"optim.step", Matrix::Constant(1, 1, -2.0f), {}}})),
                      Catch::Contains("optim.step -2 is not a whole number of steps"));
    CHECK_THROWS_WITH(training::load_checkpoint(with(run, {{"optim.state.0.step", Matrix::Constant(1, 1, 1.5f), {}}})),
                      Catch::Contains("optim.state.0.step 1.5 is not a whole number of steps"));
}

TEST_CASE("a checkpoint's metadata names a known activation and a sane arch", "[checkpoint]") {
    const fs::path path = temp_dir() / "bad_meta.safetensors";
    const auto net = nn::mlp({{3, 2}});
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "swish"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path),
                      Catch::Contains(path.string() + ": metadata activation: activation 'swish' is unknown; use relu"));
    for (const std::string arch : {"3", "3--2", "3-0", "3-x", "3-99999999999999999999", "lenet", "1x3x1:flatten-linear0"}) {
        save_safetensors(path, net->state_dict(), {{"arch", arch}, {"activation", "relu"}});
        CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::StartsWith(path.string() + ": metadata arch: ") &&
                                                               Catch::Contains("'" + arch + "'"));
    }
}

TEST_CASE("non-finite weights and optimizer state are refused at load", "[checkpoint]") {
    const fs::path path = temp_dir() / "nan.safetensors";
    auto net = nn::mlp({{3, 4, 2}});
    const auto nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    net->parameters()[2].value()(1, 3) = nan;  // 2.weight, (2 x 4)
    training::save_checkpoint(path, {"3-4-2"}, *net);
    CHECK_THROWS_WITH(training::load_checkpoint(path),
                      Catch::Contains(path.string() + ": array '2.weight' holds 1 non-finite value, the first a NaN at (1, 3)"));
    net->parameters()[2].value()(1, 3) = 0.0f;
    net->parameters()[1].value().setConstant(-inf);  // 0.bias, rank 1
    training::save_checkpoint(path, {"3-4-2"}, *net);
    CHECK_THROWS_WITH(training::load_checkpoint(path),
                      Catch::Contains("array '0.bias' holds 4 non-finite values, the first an infinity at index 0"));
    net->parameters()[1].value().setZero();
    optim::OptimizerState state;
    state.params.resize(4);
    state.params[0].push_back({"exp_avg", Matrix::Constant(4, 3, inf), {4, 3}});
    training::save_checkpoint(path, {"3-4-2"}, *net, training::RunState{1, 0.5, Generator(1).state(), state});
    CHECK_THROWS_WITH(training::load_checkpoint(path),
                      Catch::Contains("array 'optim.state.0.exp_avg' holds 12 non-finite values, the first an infinity at (0, 0)"));
    state.params[0] = {{"step", Matrix::Constant(1, 1, 3.0f), {}}};
    training::save_checkpoint(path, {"3-4-2"}, *net, training::RunState{1, 0.5, Generator(1).state(), state});
    CHECK(training::load_checkpoint(path).run->optimizer->params[0][0].value(0, 0) == 3.0f);
}

TEST_CASE("a checkpoint from before per-parameter steps gives its one step to every parameter with state", "[checkpoint]") {
    const fs::path path = temp_dir() / "shared_step.safetensors";
    auto net = nn::mlp({{3, 2}});
    StateDict arrays = net->state_dict();
    arrays.push_back({"optim.step", Matrix::Constant(1, 1, 7.0f), {}});
    arrays.push_back({"optim.state.0.exp_avg", Matrix::Ones(2, 3), {2, 3}});
    arrays.push_back({"optim.state.0.exp_avg_sq", Matrix::Ones(2, 3), {2, 3}});
    save_safetensors(path, arrays, {{"arch", "3-2"}, {"activation", "relu"}, {"epoch", "1"}, {"best_val_acc", "-1"},
                                    {"rng", Generator(1).state()}});
    optim::Adam adam(net->parameters());
    adam.load_state_dict(*training::load_checkpoint(path).run->optimizer);
    const optim::OptimizerState state = adam.state_dict();
    REQUIRE(state.params[0].size() == 3);
    CHECK(state.params[0][0].name == "step");
    CHECK(state.params[0][0].value(0, 0) == 7.0f);
    CHECK(state.params[1].empty());  // 0.bias had no state, so no step either
}

TEST_CASE("a header of 100,000 entries is parsed, in the order of the data", "[checkpoint]") {
    // ordered_json found each key in a list, quadratic in the entries (80,000 took 6 s); the parse
    // now takes about 0.2 s for these (see docs/reliability.md).
    const fs::path path = temp_dir() / "many.safetensors";
    const int n = 100000;
    std::string header = "{", data;
    for (int i = 0; i < n; ++i) {
        // Names that sort in another order than the data: z99999 ... z00000.
        const std::string name = "z" + std::to_string(n - 1 - i);
        header += (i ? "," : "") + ("\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
                                    std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}");
        data += floats({static_cast<float>(i)});
    }
    write_bytes(path, file_with(header + "}", data));
    const SafetensorsFile file = load_safetensors(path);
    REQUIRE(file.arrays.size() == static_cast<size_t>(n));
    for (int i : {0, 1, n / 2, n - 1}) {
        CHECK(file.arrays[static_cast<size_t>(i)].name == "z" + std::to_string(n - 1 - i));
        CHECK(file.arrays[static_cast<size_t>(i)].value(0, 0) == static_cast<float>(i));
    }
}

TEST_CASE("a failed write leaves the old checkpoint and no temporary file", "[checkpoint]") {
    const fs::path dir = temp_dir() / "atomic";
    fs::create_directories(dir / "target_is_a_dir" / "child");
    const fs::path good = dir / "good.safetensors";
    save_safetensors(good, {{"x", Matrix::Ones(2, 2), {2, 2}}});
    const std::string before = read_bytes(good);
    CHECK_THROWS_WITH(save_safetensors(dir / "target_is_a_dir", {{"x", Matrix::Ones(2, 2), {2, 2}}}),
                      Catch::Contains("target_is_a_dir: cannot rename"));
    CHECK_THROWS_WITH(save_safetensors(dir / "no_such_dir" / "f.safetensors", {}),
                      Catch::Contains("cannot create a temporary file"));
    save_safetensors(good, {{"x", Matrix::Zero(2, 2), {2, 2}}});  // replaces the file whole
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
        {file_with(R"({"a":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})", data), "rank 0 to 4"},
        {file_with(R"({"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}})", data),
         "too large for hebb"},
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
    // A FIFO without a writer would block open() forever; the alarm ends a test that hangs.
    const fs::path fifo = temp_dir() / "fifo.safetensors";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    ::alarm(20);
    for (const fs::path& p : {fifo, temp_dir(), fs::path("/dev/zero")})
        CHECK_THROWS_WITH(load_safetensors(p), Catch::Contains(p.string() + ": not a regular file"));
    CHECK_THROWS_WITH(training::load_checkpoint(fifo), Catch::Contains(fifo.string() + ": not a regular file"));
    ::alarm(0);
}

TEST_CASE("load_checkpoint needs the metadata and matching weights", "[checkpoint]") {
    const fs::path path = temp_dir() / "meta.safetensors";
    auto net = nn::mlp({{3, 2}, "relu"});
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains("needs 'arch' and 'activation'"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "relu"}, {"format", "other"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains("format is 'other'"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-4"}, {"activation", "relu"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains(path.string()) && Catch::Contains("metadata arch: spec '3-4' needs 16 weights and biases; at most 8 fit"));
    save_safetensors(path, net->state_dict(), {{"arch", "3-2"}, {"activation", "relu"}, {"format_version", "2"}});
    CHECK_THROWS_WITH(training::load_checkpoint(path), Catch::Contains("format_version 2"));
}
