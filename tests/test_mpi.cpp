// Data-parallel training and distributed experiments under mpirun, against one process: the same
// weights to float rounding, resume, a killed rank, a rank without its data, refusals, few-shot.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hebb.h"
#include "tests/cli.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// CI runs as root on a machine with fewer cores than some jobs have ranks.
std::string mpirun(int ranks) {
    return std::string(HEBB_MPIRUN) + " --allow-run-as-root --oversubscribe -np " + std::to_string(ranks) + " ";
}
const std::string exe = std::string(HEBB_EXE) + " ";

// Odd global batches, so that the ranks' parts differ in size (18 and 19 of 37, or 12, 12, 13) and
// the last batch of an epoch (500 % 37 = 19) too.
const std::string run = "train --data spirals --arch 2-64-64-2 --batch-size 37 --threads 1 ";

// Compares the model weights of two checkpoints element by element: each must agree to `tolerance`
// of its array's largest |value|, unless both lie within `kink` of 0 (see the BEAN cases below).
// Returns how many did so only by lying there.
long check_same_weights(const fs::path& a, const fs::path& b, double tolerance, double kink = 0.0) {
    const hebb::SafetensorsFile x = hebb::load_safetensors(a.string()), y = hebb::load_safetensors(b.string());
    REQUIRE(x.arrays.size() == y.arrays.size());
    long at_kink = 0;
    double worst = 0.0;
    for (size_t i = 0; i < x.arrays.size(); ++i) {
        const hebb::Matrix &u = x.arrays[i].value, &v = y.arrays[i].value;
        REQUIRE(x.arrays[i].name == y.arrays[i].name);
        REQUIRE(u.size() == v.size());
        if (x.arrays[i].name.starts_with("optim.")) continue;
        const double scale = u.cwiseAbs().maxCoeff();
        for (Eigen::Index j = 0; j < u.size(); ++j) {
            const double d = std::abs(u.data()[j] - v.data()[j]);
            if (d <= tolerance * scale) {
                worst = std::max(worst, d / scale);
                continue;
            }
            INFO(x.arrays[i].name << "[" << j << "]: " << u.data()[j] << " and " << v.data()[j]);
            CHECK((std::abs(u.data()[j]) <= kink && std::abs(v.data()[j]) <= kink));
            ++at_kink;
        }
    }
    CHECK(worst > 0.0);  // different sums, so some rounding: the runs did not share a file
    return at_kink;
}

std::vector<Json> metrics(const fs::path& folder) {
    std::vector<Json> lines;
    std::istringstream in(cli::read_text(folder / "metrics.jsonl"));
    for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
    return lines;
}

// Trains `flags` for 4 epochs (108 steps) in one process and on `ranks` ranks; the two runs' last
// weights (see check_same_weights) and the epochs' training figures must agree.
void check_same_as_one_process(std::string flags, int ranks, double kink = 0.0) {
    if (flags.find("--seed") == std::string::npos) flags += " --seed 3";
    const fs::path one = cli::scratch("one"), many = cli::scratch("many");
    const cli::Result a = cli::shell(exe + run + flags + " --epochs 4 --out " + one.string());
    REQUIRE(a.status == 0);
    const cli::Result b = cli::shell(mpirun(ranks) + exe + run + flags + " --epochs 4 --out " + many.string());
    INFO(b.output);
    REQUIRE(b.status == 0);
    CHECK_THAT(b.output, Catch::Contains(std::to_string(ranks) + " ranks, each on about"));
    check_same_weights(one / "last.safetensors", many / "last.safetensors", 1e-5, kink);
    const std::vector<Json> x = metrics(one), y = metrics(many);
    REQUIRE(x.size() == 4);
    REQUIRE(y.size() == 4);
    for (size_t e = 0; e < x.size(); ++e) {
        CHECK(y[e]["train_acc"] == x[e]["train_acc"]);
        for (const char* key : {"train_loss", "reg_loss"})
            CHECK(std::abs(y[e][key].get<double>() - x[e][key].get<double>()) <=
                  1e-5 * std::max(1e-3, std::abs(x[e][key].get<double>())));
    }
}

}  // namespace

// The gradients are summed over the ranks in another order than one product over the whole batch
// sums them, so the weights differ by float rounding: after 108 steps by at most 1e-5 of each
// array's largest |w| (measured: up to 4e-6 over seeds 1-6, SGD and Adam alike).
TEST_CASE("mpi: SGD on 2 ranks reaches the weights of one process") {
    check_same_as_one_process("--optimizer sgd --lr 0.1 --momentum 0.9", 2);
}

TEST_CASE("mpi: Adam on 2 ranks reaches the weights of one process") {
    check_same_as_one_process("--optimizer adam --lr 0.01", 2);
}

// BEAN's term and both its gradients are sums over the batch's samples, so each rank adds its share.
// With SGD the weights agree to 1e-5 as above (up to 8e-6). With Adam a few weights do not: BEAN
// draws most of them to 0 (70 % lie within 0.01 of it here), where |tanh(gamma w)| has a kink and
// its gradient changes sign; Adam steps by about lr whatever the gradient's size, so a rounding
// error decides the side of 0 and the step's direction. Such weights stay within lr of 0 in both
// runs (64 of 4,096 with seed 6, up to 6e-4 apart), and every other weight agrees to 1e-5.
TEST_CASE("mpi: BEAN-1 on 2 ranks reaches the weights of one process") {
    check_same_as_one_process("--optimizer sgd --lr 0.1 --momentum 0.9 --reg bean1 --alpha 1", 2);
    check_same_as_one_process("--optimizer adam --lr 0.01 --reg bean1 --alpha 1 --seed 6", 2, 0.01);
}

TEST_CASE("mpi: dropout on 2 ranks masks every sample as one process does") {
    // Each rank draws the masks of the whole batch and keeps its rows.
    check_same_as_one_process("--optimizer sgd --lr 0.1 --dropout 0.3", 2);
}

TEST_CASE("mpi: BEAN-1 and L2 on 3 ranks, parts of 12, 12 and 13 samples") {
    check_same_as_one_process("--optimizer sgd --lr 0.1 --reg bean1 --alpha 1 --bean-layers all", 3);
    // A term of the weights alone is counted once: the ranks' shares add up to 1.
    check_same_as_one_process("--optimizer sgd --lr 0.1 --reg l2 --alpha 0.01", 3);
}

TEST_CASE("mpi: a run resumed on 2 ranks ends where an uninterrupted one does, bit for bit") {
    const fs::path whole = cli::scratch("whole"), many = cli::scratch("many");
    const std::string flags = "--optimizer adam --lr 0.01 --reg bean1 --alpha 1 --val 100 --seed 3 ";
    REQUIRE(cli::shell(mpirun(2) + exe + run + flags + "--epochs 4 --out " + whole.string()).status == 0);
    const cli::Result first = cli::shell(mpirun(2) + exe + run + flags + "--epochs 2 --out " + many.string());
    REQUIRE(first.status == 0);
    const cli::Result resumed = cli::shell(mpirun(2) + exe + "train --resume " + many.string() + " --epochs 4");
    INFO(resumed.output);
    REQUIRE(resumed.status == 0);
    const hebb::SafetensorsFile x = hebb::load_safetensors((whole / "last.safetensors").string()),
                                y = hebb::load_safetensors((many / "last.safetensors").string());
    REQUIRE(x.arrays.size() == y.arrays.size());
    for (size_t i = 0; i < x.arrays.size(); ++i) CHECK(x.arrays[i].value == y.arrays[i].value);
    CHECK(metrics(many).size() == 4);
    // Rank 0 alone wrote: one report, one set of checkpoints, and printed once.
    CHECK(fs::exists(many / "report.html"));
    CHECK(fs::exists(many / "best.safetensors"));
    size_t summaries = 0;
    for (size_t at = 0; (at = resumed.output.find("test accuracy", at)) != std::string::npos; ++at) ++summaries;
    CHECK(summaries == 1);
}

TEST_CASE("mpi: a killed rank ends the job within seconds and leaves a loadable checkpoint") {
    const fs::path out = cli::scratch("killed");
    // About 40 ms an epoch per rank: long enough to be killed in the middle.
    const std::string slow = "train --data spirals --arch 2-512-512-2 --batch-size 50 --threads 1 --epochs 10000 ";
    const cli::Result r = cli::shell(
        "(" + mpirun(2) + exe + slow + "--out " + out.string() + " >" + out.string() + ".log 2>&1 & job=$!; "
        "for i in $(seq 600); do [ -f " + (out / "last.safetensors").string() + " ] && break; sleep 0.05; done; "
        // mpirun's children are the ranks: kill the newest one (rank 1, or rank 0: either must end the job).
        "kill -9 $(pgrep -n -P $job); start=$(date +%s%N); "
        "for i in $(seq 300); do kill -0 $job 2>/dev/null || break; sleep 0.1; done; "
        "echo seconds=$(( ($(date +%s%N) - start) / 1000000000 )); kill -0 $job 2>/dev/null && echo still running; "
        "kill -9 $job 2>/dev/null; wait $job; echo status=$?)");
    INFO(r.output << cli::read_text(out.string() + ".log"));
    CHECK_THAT(r.output, !Catch::Contains("still running"));
    CHECK_THAT(r.output, !Catch::Contains("status=0"));
    const int seconds = std::stoi(r.output.substr(r.output.find("seconds=") + 8));
    CHECK(seconds <= 10);
    const hebb::training::Checkpoint last = hebb::training::load_checkpoint((out / "last.safetensors").string());
    REQUIRE(last.run);
    CHECK(last.run->epoch >= 1);
    // And the run continues from it, in one process.
    CHECK(cli::shell(exe + "train --resume " + out.string() + " --epochs " + std::to_string(last.run->epoch + 1)).status == 0);
}

TEST_CASE("mpi: SIGTERM to mpirun stops the job, and rank 0 says where the run stands") {
    const fs::path out = cli::scratch("stopped");
    const std::string slow = "train --data spirals --arch 2-512-512-2 --batch-size 50 --threads 1 --epochs 10000 ";
    const cli::Result r = cli::shell(
        "(" + mpirun(2) + exe + slow + "--out " + out.string() + " 2>&1 & job=$!; "
        "for i in $(seq 600); do [ -f " + (out / "last.safetensors").string() + " ] && break; sleep 0.05; done; "
        "kill -TERM $job; wait $job; echo status=$?)");
    INFO(r.output);
    CHECK_THAT(r.output, Catch::Contains("stopped by SIGTERM in epoch") && Catch::Contains("continue with hebb train --resume"));
    CHECK_THAT(r.output, !Catch::Contains("status=0"));
    const hebb::training::Checkpoint last = hebb::training::load_checkpoint((out / "last.safetensors").string());
    REQUIRE(last.run);
    CHECK(cli::shell(mpirun(2) + exe + "train --resume " + out.string() + " --epochs " + std::to_string(last.run->epoch + 1))
              .status == 0);
}

TEST_CASE("mpi: a rank that cannot read the data ends the job with an error naming it") {
    const fs::path out = cli::scratch("no_data");
    const std::string train = exe + "train --data mnist --arch 784-16-10 --epochs 1 --out " + out.string();
    const auto start = std::chrono::steady_clock::now();
    // mpirun's ':' starts rank 1 with another environment: its HEBB_DATA holds no MNIST.
    const cli::Result r = cli::shell(mpirun(1) + train + " : -np 1 -x HEBB_DATA=/nonexistent " + train);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(r.output);
    CHECK(r.status != 0);
    CHECK_THAT(r.output, Catch::Contains("error: rank 1: ") && Catch::Contains("/nonexistent/mnist"));
    CHECK(seconds < 30);
    CHECK(!fs::exists(out / "last.safetensors"));
}

TEST_CASE("mpi: settings that differ between ranks and batches smaller than the job are refused up front") {
    const fs::path out = cli::scratch("refused");
    const std::string train = exe + "train --data spirals --arch 2-8-8-8-2 --reg bean1 --epochs 1 --out " + out.string();
    const cli::Result layers = cli::shell(mpirun(1) + train + " --bean-layers 1 : -np 1 " + train + " --bean-layers 1,2");
    INFO(layers.output);
    CHECK(layers.status != 0);
    CHECK_THAT(layers.output, Catch::Contains("error: the ranks of this job differ in their bean_layers: rank 0 has "
                                              "\"1\", rank 1 \"1,2\""));
    CHECK(!fs::exists(out / "config.json"));

    const cli::Result batch = cli::shell(mpirun(3) + train + " --batch-size 2");
    INFO(batch.output);
    CHECK(batch.status != 0);
    CHECK_THAT(batch.output, Catch::Contains("error: --batch-size 2: 3 ranks need at least one sample each"));
    // Said once, by rank 0.
    CHECK(batch.output.find("--batch-size 2:") == batch.output.rfind("--batch-size 2:"));

    const fs::path model = cli::scratch("model");
    REQUIRE(cli::shell(exe + "train --data spirals --arch 2-4-2 --epochs 1 --out " + model.string()).status == 0);
    const cli::Result eval = cli::shell(mpirun(2) + exe + "eval --model " + (model / "last.safetensors").string());
    CHECK(eval.status != 0);
    CHECK_THAT(eval.output, Catch::Contains("error: hebb eval runs in one process: start it without mpirun"));
}

TEST_CASE("mpi: hebb fewshot on 2 ranks writes what one process does") {
    const fs::path one = cli::scratch("fewshot_one"), many = cli::scratch("fewshot_many");
    const std::string args = "fewshot --data mnist --arch 784-16-10 --shots 1,2 --seeds 2 --selection-seeds 1 "
                             "--methods none,l2,bean1 --epochs 3 --val-size 200 --out ";
    REQUIRE(cli::shell(exe + args + one.string()).status == 0);
    const cli::Result r = cli::shell(mpirun(2) + exe + args + many.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    for (const char* file : {"runs.jsonl", "fewshot.json", "fewshot.md", "config.json"})
        CHECK(cli::read_text(one / file) == cli::read_text(many / file));
    // Every run trained once, by one rank, and reported once.
    CHECK_THAT(r.output, Catch::Contains("[24/24]"));
    CHECK(r.output.find("[24/24]") == r.output.rfind("[24/24]"));
}

TEST_CASE("mpi: scripts/share_lines hands each line to one rank, rank r the lines r, r + N, ...") {
    // The experiment scripts' trainings, shared out over the ranks of HEBB_MPIRUN's job.
    const fs::path lines = cli::scratch("lines");
    std::ofstream(lines) << "0 a\n1 b c\n2 d\n3 e\n4 f\n5 g\n6 h\n";
    const cli::Result r = cli::shell(mpirun(3) + HEBB_SCRIPTS "/share_lines " + lines.string() +
                                     " sh -c 'echo ran $0 on rank $OMPI_COMM_WORLD_RANK'");
    INFO(r.output);
    CHECK(r.status == 0);
    for (int i = 0; i < 7; ++i) {
        const std::string ran = "ran " + std::to_string(i) + " on rank " + std::to_string(i % 3) + "\n";
        CHECK(r.output.find(ran) != std::string::npos);
        CHECK(r.output.find(ran) == r.output.rfind(ran));
    }
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 7);
}
