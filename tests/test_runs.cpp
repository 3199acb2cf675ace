// Run folders: a run is never overwritten unless asked, one process at a time trains in a folder,
// and a run stopped any way resumes to exactly what an uninterrupted run writes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "hebb.h"
#include "tests/cli.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const std::string spirals = "--data spirals --lr 0.01 --batch-size 50 --threads 1 ";
// Slow enough to be stopped mid-run: about 40 ms an epoch.
const std::string slow = "--data spirals --arch 2-512-512-2 --batch-size 50 --threads 1 --val 100 --dropout 0.1 "
                         "--schedule exp --seed 5 ";

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// metrics.jsonl without the timings, which no two runs share.
std::string metrics_values(const fs::path& p) {
    std::string out;
    std::istringstream lines(cli::read_text(p));
    for (std::string line; std::getline(lines, line);) {
        Json j = Json::parse(line);
        j.erase("seconds"), j.erase("samples_per_s");
        out += j.dump() + "\n";
    }
    return out;
}

// report.md without its title (it names the run's folder) and timings (seconds and samples/s
// columns, total time).
std::string report_values(const fs::path& p) {
    std::string r = cli::read_text(p);
    r = r.substr(r.find('\n'));
    r = std::regex_replace(r, std::regex(R"(\| [0-9.]+ \| [0-9]+ \|\n)"), "| t |\n");
    return std::regex_replace(r, std::regex(R"(Total time [0-9.]+ s)"), "Total time t");
}

// Shell commands that wait (up to 60 s) until the run in `run` has finished `epochs` epochs.
std::string after_epochs(const fs::path& run, int epochs) {
    const std::string metrics = (run / "metrics.jsonl").string();
    return "for i in $(seq 1200); do [ \"$(cat " + metrics + " 2>/dev/null | wc -l)\" -ge " + std::to_string(epochs) +
           " ] && break; sleep 0.05; done; ";
}

void check_same_arrays(const fs::path& a, const fs::path& b) {
    const hebb::SafetensorsFile x = hebb::load_safetensors(a.string()), y = hebb::load_safetensors(b.string());
    CHECK(x.metadata == y.metadata);
    REQUIRE(x.arrays.size() == y.arrays.size());
    for (size_t i = 0; i < x.arrays.size(); ++i) {
        INFO(a.filename() << " " << x.arrays[i].name);
        CHECK(x.arrays[i].value == y.arrays[i].value);
    }
}

}  // namespace


TEST_CASE("a run folder is refused unless it is new, empty, resumed or overwritten on request", "[runs]") {
    const fs::path run = cli::scratch("run");
    REQUIRE(cli::hebb("train " + spirals + "--arch 2-16-2 --epochs 2 --val 100 --out " + run.string()).status == 0);
    const std::string last = cli::read_text(run / "last.safetensors");

    const cli::Result again = cli::hebb("train " + spirals + "--arch 2-8-2 --epochs 1 --out " + run.string());
    CHECK(again.status == 2);
    CHECK_THAT(again.output, Catch::Contains(run.string() + " holds a training run; continue it with --resume " +
                                             run.string() + ", or start again with --overwrite"));
    CHECK(cli::read_text(run / "last.safetensors") == last);

    // --overwrite: a new run, and none of the old one's files (the old best.safetensors had another arch).
    REQUIRE(cli::hebb("train " + spirals + "--arch 2-8-2 --epochs 1 --overwrite --out " + run.string()).status == 0);
    CHECK_FALSE(fs::exists(run / "best.safetensors"));
    CHECK(hebb::training::load_checkpoint((run / "last.safetensors").string()).spec.arch == "2-8-2");
    CHECK(cli::hebb("train --resume " + run.string() + " --overwrite").status == 2);

    // A folder with files of its own is never touched, not even by --overwrite.
    const fs::path mine = cli::scratch("mine");
    fs::create_directories(mine);
    std::ofstream(mine / "notes.txt") << "mine";
    std::ofstream(mine / "config.json") << "{\"mine\": true}";
    for (const char* flag : {"", "--overwrite "}) {
        const cli::Result r = cli::hebb("train " + spirals + "--arch 2-8-2 --epochs 1 " + flag + "--out " + mine.string());
        CHECK(r.status == 2);
        CHECK_THAT(r.output, Catch::Contains(mine.string() + " holds files of its own; give a new or empty folder"));
        CHECK(listing(mine) == std::vector<std::string>{"config.json", "notes.txt"});
        CHECK(cli::read_text(mine / "config.json") == "{\"mine\": true}");
    }
}

TEST_CASE("a second process on a run folder stops at once", "[runs]") {
    const fs::path run = cli::scratch("locked");
    const cli::Result r = cli::shell(std::string(HEBB_EXE) + " train " + slow + "--epochs 1000 --out " + run.string() +
                                     " >/dev/null 2>&1 & first=$!; " + after_epochs(run, 1) + HEBB_EXE + " train " + spirals +
                                     "--arch 2-8-2 --epochs 1 --overwrite --out " + run.string() + " 2>&1; echo status=$?; " +
                                     HEBB_EXE + " train --resume " + run.string() + " 2>&1; echo status=$?; kill -9 $first");
    CHECK_THAT(r.output, Catch::Contains(run.string() + ": another hebb train is running in this folder"));
    CHECK(r.output.find("status=0") == std::string::npos);
    CHECK(r.output.find("status=1\nerror") != std::string::npos);  // a failure at run time, not a bad command line
}

TEST_CASE("a run stopped by SIGINT, SIGTERM or --epochs resumes to exactly the uninterrupted run", "[runs]") {
    const fs::path whole = cli::scratch("whole");
    REQUIRE(cli::hebb("train " + slow + "--epochs 40 --out " + whole.string()).status == 0);
    // Validation accuracies in steps of 1/100 tie across epochs (0.15 at epochs 2, 16 and 21): the
    // best stays the first of equals, in the resumed runs too.
    const std::string values = metrics_values(whole / "metrics.jsonl");

    for (const std::string stop : {"INT", "TERM", "epochs"}) {
        INFO("stopped by " << stop);
        const fs::path run = cli::scratch("stopped_" + stop);
        if (stop == "epochs") {
            REQUIRE(cli::hebb("train " + slow + "--epochs 5 --out " + run.string()).status == 0);
        } else {
            const cli::Result r = cli::shell(std::string(HEBB_EXE) + " train " + slow + "--epochs 40 --out " +
                                             run.string() + " >" + run.string() + ".log 2>&1 & pid=$!; " + after_epochs(run, 2) + "kill -" +
                                             stop + " $pid; wait $pid; echo status=$?");
            const std::string log = cli::read_text(run.string() + ".log");
            INFO(log);
            CHECK_THAT(r.output, Catch::Contains(stop == "INT" ? "status=130" : "status=143"));
            CHECK_THAT(log, Catch::Contains("stopped by SIG" + stop) &&
                                Catch::Contains("continue with hebb train --resume " + run.string()));
        }
        const cli::Result resumed = cli::hebb("train --resume " + run.string() + " --epochs 40");
        INFO(resumed.output);
        REQUIRE(resumed.status == 0);
        check_same_arrays(whole / "last.safetensors", run / "last.safetensors");
        check_same_arrays(whole / "best.safetensors", run / "best.safetensors");
        CHECK(metrics_values(run / "metrics.jsonl") == values);
        CHECK(report_values(run / "report.md") == report_values(whole / "report.md"));
    }
}

TEST_CASE("settings read back from config.json are checked as the command line's are", "[runs]") {
    const fs::path run = cli::scratch("edited");
    REQUIRE(cli::hebb("train " + spirals + "--arch 2-8-2 --epochs 1 --out " + run.string()).status == 0);
    const std::string config = cli::read_text(run / "config.json");
    const auto edit = [&](const std::string& from, const std::string& to) {
        std::string text = config;
        const size_t at = text.find(from);
        REQUIRE(at != std::string::npos);
        std::ofstream(run / "config.json") << text.replace(at, from.size(), to);
        return cli::hebb("train --resume " + run.string() + " --epochs 2");
    };
    const cli::Result optimizer = edit("\"adam\"", "\"adamax\"");
    CHECK(optimizer.status == 2);
    CHECK_THAT(optimizer.output, Catch::Contains("config.json: --optimizer: adamax not in {sgd,adam,adamw,rmsprop}"));
    const cli::Result schedule = edit("\"schedule\": \"none\"", "\"schedule\": \"sometimes\"");
    CHECK_THAT(schedule.output, Catch::Contains("config.json: --schedule: sometimes not in"));
    const cli::Result lr = edit("\"lr\": 0.01", "\"lr\": -1");
    CHECK_THAT(lr.output, Catch::Contains("config.json: --lr: must be positive, got -1"));
    const cli::Result unknown = edit("\"lr\"", "\"learning_rate\"");
    CHECK_THAT(unknown.output, Catch::Contains("config.json: 'learning_rate' is not a setting of hebb train"));
    const cli::Result threads = edit("\"lr\"", "\"threads\": 4, \"lr\"");
    CHECK_THAT(threads.output, Catch::Contains("config.json: 'threads' is not a setting of hebb train"));
    const cli::Result cosine = edit("\"schedule\": \"none\"", "\"schedule\": \"cosine\"");
    CHECK(cosine.status == 2);
    CHECK_THAT(cosine.output, Catch::Contains("--epochs 2: the run's --schedule cosine was laid out for 1 epochs"));
    std::ofstream(run / "config.json") << config;
    CHECK(cli::hebb("train --resume " + run.string() + " --epochs 2").status == 0);
    CHECK(Json::parse(cli::read_text(run / "config.json"))["epochs"] == 2);
    const cli::Result shorter = cli::hebb("train --resume " + run.string() + " --epochs 1");
    CHECK(shorter.status == 2);
    CHECK_THAT(shorter.output, Catch::Contains("--epochs 1: " + run.string() + " has done 2 epochs already"));
    CHECK(Json::parse(cli::read_text(run / "config.json"))["epochs"] == 2);
}

TEST_CASE("every split is checked against the model before the first step", "[runs]") {
    const fs::path dir = cli::scratch("splits");
    // IDX files: 4 training images of 2x2 pixels, 2 test images of 3x3.
    const auto idx = [](std::vector<std::uint32_t> dims, size_t bytes, unsigned char value) {
        std::string s{'\0', '\0', '\x08', static_cast<char>(dims.size())};
        for (std::uint32_t d : dims)
            for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((d >> shift) & 0xff);
        return s + std::string(bytes, static_cast<char>(value));
    };
    fs::create_directories(dir / "mnist");
    std::ofstream(dir / "mnist/train-images-idx3-ubyte") << idx({4, 2, 2}, 16, 9);
    std::ofstream(dir / "mnist/train-labels-idx1-ubyte") << idx({4}, 4, 1);
    std::ofstream(dir / "mnist/t10k-images-idx3-ubyte") << idx({2, 3, 3}, 18, 9);
    std::ofstream(dir / "mnist/t10k-labels-idx1-ubyte") << idx({2}, 2, 1);
    const fs::path out = dir / "run";
    const cli::Result r = cli::shell("HEBB_DATA=" + dir.string() + " " + HEBB_EXE +
                                     " train --data mnist --arch 4-10 --epochs 1 --out " + out.string());
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("mnist: the test split has 9 features per sample, the training split 4"));
    CHECK_FALSE(fs::exists(out / "last.safetensors"));
    CHECK_FALSE(fs::exists(out / "metrics.jsonl"));
}
