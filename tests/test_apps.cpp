// The hebb command end to end: it runs as a user would run it, and its files are read back.
#include <catch2/catch.hpp>
#include <array>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stb/stb_image_write.h>
#include <sys/wait.h>

#include "hebb.h"
#include "tests/cli.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

std::vector<Json> read_jsonl(const fs::path& p) {
    std::ifstream in(p);
    std::vector<Json> out;
    for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
    return out;
}

const std::string spirals = "--data spirals --arch 2-32-32-2 --lr 0.01 --batch-size 50 --threads 1";

}  // namespace

TEST_CASE("hebb train writes its configuration, metrics, checkpoints, curves and report", "[apps]") {
    const fs::path out = cli::scratch("train");
    const cli::Result r = cli::hebb("train " + spirals + " --epochs 3 --val 100 --dropout 0.1 --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    for (const char* f : {"config.json", "metrics.jsonl", "last.safetensors", "best.safetensors", "test.json", "curves.svg",
                          "report.md", "report.html"})
        CHECK(fs::exists(out / f));
    const auto metrics = read_jsonl(out / "metrics.jsonl");
    REQUIRE(metrics.size() == 3);
    for (const char* key : {"epoch", "train_loss", "reg_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds",
                            "samples_per_s"})
        CHECK(metrics[2].contains(key));
    CHECK(metrics[2]["epoch"] == 3);
    CHECK(metrics[2]["val_acc"].get<double>() >= 0.0);
    CHECK(metrics[2]["val_acc"].get<double>() <= 1.0);
    CHECK(metrics[2]["train_loss"].get<double>() < metrics[0]["train_loss"].get<double>());
    CHECK(Json::parse(std::ifstream(out / "config.json"))["arch"] == "2-32-32-2");
    std::stringstream report;
    report << std::ifstream(out / "report.md").rdbuf();
    CHECK_THAT(report.str(), Catch::Contains("Test accuracy") && Catch::Contains("Confusion matrix"));
    const auto loaded = hebb::training::load_checkpoint((out / "last.safetensors").string());
    CHECK(loaded.spec.arch == "2-32-32-2");
    REQUIRE(loaded.run);
    CHECK(loaded.run->epoch == 3);
    CHECK(loaded.run->optimizer);
}

TEST_CASE("test.json, report.md and report.html agree with metrics.jsonl, after --resume and hebb assemblies too", "[apps]") {
    const fs::path run = cli::scratch("report");
    REQUIRE(cli::hebb("train " + spirals + " --epochs 2 --val 100 --out " + run.string()).status == 0);
    // As a run written before val_loss was recorded: --resume and the report read it as none.
    std::string old;
    for (Json line : read_jsonl(run / "metrics.jsonl")) old += (line.erase("val_loss"), line.dump()) + "\n";
    std::ofstream(run / "metrics.jsonl") << old;
    const cli::Result resumed = cli::hebb("train --resume " + run.string() + " --epochs 4");
    INFO(resumed.output);
    REQUIRE(resumed.status == 0);
    const auto metrics = read_jsonl(run / "metrics.jsonl");
    REQUIRE(metrics.size() == 4);
    CHECK_FALSE(metrics[1].contains("val_loss"));
    CHECK(metrics[3]["val_loss"].get<double>() > 0.0);

    const Json test = Json::parse(cli::read_text(run / "test.json"));
    CHECK(test["tested"] == "best-validation");
    CHECK(test["n"] == 1000);
    CHECK(test["parameters"] == 1218);
    CHECK_THAT(test["model"].get<std::string>(), Catch::Contains("(0): Linear(in_features=2, out_features=32, bias=True)"));
    long total = 0;
    for (const Json& row : test["confusion"]) total += row[0].get<long>() + row[1].get<long>();
    CHECK(total == 1000);
    CHECK(test["per_class"].size() == 2);
    CHECK(test["seconds"].get<double>() > 0.0);

    const auto fixed = [](const Json& v) {
        if (v.is_null()) return std::string("-");
        char text[32];
        std::snprintf(text, sizeof text, "%.4f", v.get<double>());
        return std::string(text);
    };
    const std::string md = cli::read_text(run / "report.md"), html = cli::read_text(run / "report.html");
    const std::string accuracy = fixed(100 * test["accuracy"].get<double>()) + " %";
    CHECK_THAT(md, Catch::StartsWith("# hebb training report: report (spirals, 2-32-32-2)\n") &&
                       Catch::Contains("Test accuracy: **" + accuracy + "** (1000 samples, loss " + fixed(test["loss"])));
    CHECK_THAT(html, Catch::Contains("<title>hebb run report (spirals, 2-32-32-2)</title>") &&
                         Catch::Contains("Test accuracy: <b>" + accuracy + "</b> (1000 samples"));
    // Every epoch, in both reports, with metrics.jsonl's values (val loss "-" where it was not recorded).
    for (const Json& m : metrics) {
        const std::vector<std::string> cells{std::to_string(m["epoch"].get<int>()), fixed(m["train_loss"]),
                                             fixed(m["reg_loss"]), fixed(m["train_acc"]),
                                             fixed(m.value("val_loss", Json())), fixed(m["val_acc"])};
        std::string md_row = "\n|", html_row = "<tr>";
        for (const std::string& c : cells) md_row += " " + c + " |", html_row += "<td>" + c + "</td>";
        INFO(md_row);
        CHECK_THAT(md, Catch::Contains(md_row));
        CHECK_THAT(html, Catch::Contains(html_row));
    }
    CHECK_THAT(md, !Catch::Contains("\n| 5 |"));
    const auto count = [](const std::string& text, const std::string& part) {
        size_t n = 0;
        for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
        return n;
    };
    const size_t settings = Json::parse(cli::read_text(run / "config.json")).size();
    CHECK(count(html, "<tr><td>") == settings + 4 + 2);  // the settings', epochs' and classes' rows
    const long correct = test["confusion"][0][0].get<long>();
    CHECK_THAT(html, Catch::Contains("<table id='confusion'>") && Catch::Contains("'>" + std::to_string(correct) + "</td>"));
    // The curves are inline, and only there does the report hold an <svg>.
    const std::string curves = cli::read_text(run / "curves.svg");
    CHECK_THAT(curves, Catch::Contains("class='title'") && Catch::Contains(">report (spirals, 2-32-32-2)<"));
    CHECK_THAT(html, Catch::Contains(curves.substr(0, curves.size() - 1)));
    CHECK(count(html, "<svg") == 1);
    CHECK(count(html, "http") == count(html, "http://www.w3.org/2000/svg"));  // no other address

    // hebb assemblies, by default into the run's assemblies/, brings its pictures into the report.
    const cli::Result assemblies = cli::hebb("assemblies --data spirals --model " + (run / "best.safetensors").string());
    INFO(assemblies.output);
    REQUIRE(assemblies.status == 0);
    CHECK_THAT(assemblies.output, Catch::Contains("wrote " + (run / "assemblies").string() + ": ") &&
                                      Catch::Contains("; rewrote " + (run / "report.md").string() + " and report.html"));
    CHECK_THAT(cli::read_text(run / "report.md"),
               Catch::Contains("## Assemblies") && Catch::Contains("](assemblies/layer2_structural.svg)") &&
                   Catch::Contains("Test accuracy: **" + accuracy + "**"));
    const std::string with = cli::read_text(run / "report.html");
    CHECK(count(with, "<img alt='layer") == 4);  // structural and functional, layers 1 and 2
    CHECK(count(with, "src='data:image/svg+xml;base64,") == 4);
    CHECK_THAT(with, Catch::Contains("<summary>assemblies.md</summary>"));
    // Elsewhere the run's report is left alone.
    const fs::path elsewhere = cli::scratch("assemblies_elsewhere");
    const cli::Result other = cli::hebb("assemblies --data spirals --model " + (run / "best.safetensors").string() +
                                        " --out " + elsewhere.string());
    CHECK(other.status == 0);
    CHECK_THAT(other.output, !Catch::Contains("rewrote"));
    CHECK(cli::read_text(run / "report.html") == with);
}

TEST_CASE("a resumed run ends with exactly the weights of an uninterrupted one", "[apps]") {
    const fs::path whole = cli::scratch("whole"), split = cli::scratch("split");
    const std::string common = "train " + spirals + " --dropout 0.2 --optimizer adam --schedule exp --val 100 ";
    REQUIRE(cli::hebb(common + "--epochs 4 --out " + whole.string()).status == 0);
    REQUIRE(cli::hebb(common + "--epochs 2 --out " + split.string()).status == 0);
    const cli::Result resumed = cli::hebb("train --resume " + split.string() + " --epochs 4 --threads 1");
    INFO(resumed.output);
    REQUIRE(resumed.status == 0);
    const auto a = hebb::load_safetensors((whole / "last.safetensors").string());
    const auto b = hebb::load_safetensors((split / "last.safetensors").string());
    REQUIRE(a.arrays.size() == b.arrays.size());
    for (size_t i = 0; i < a.arrays.size(); ++i) {
        INFO(a.arrays[i].name);
        CHECK(a.arrays[i].value == b.arrays[i].value);
    }
    const auto metrics = read_jsonl(split / "metrics.jsonl");
    REQUIRE(metrics.size() == 4);  // no epoch twice
    for (int i = 0; i < 4; ++i) CHECK(metrics[static_cast<size_t>(i)]["epoch"] == i + 1);
    CHECK(cli::hebb("train --resume " + split.string() + " --lr 0.5").output.find("--lr cannot change") != std::string::npos);
}

TEST_CASE("hebb eval --json agrees with the accuracy that train reported", "[apps]") {
    const fs::path out = cli::scratch("eval");
    const cli::Result train = cli::hebb("train " + spirals + " --epochs 5 --out " + out.string());
    REQUIRE(train.status == 0);
    const auto at = train.output.find("test accuracy ");
    REQUIRE(at != std::string::npos);
    const double reported = std::stod(train.output.substr(at + 14, 6));
    const cli::Result eval = cli::hebb("eval --json --data spirals --model " + (out / "last.safetensors").string());
    INFO(eval.output);
    REQUIRE(eval.status == 0);
    const Json j = Json::parse(eval.output);
    CHECK(j["accuracy"].get<double>() == Approx(reported).margin(5e-5));
    CHECK(j["n"] == 1000);
    CHECK(j["per_class"].size() == 2);
    CHECK(j["loss"].get<double>() > 0.0);

    const cli::Result inspect = cli::hebb("inspect " + (out / "last.safetensors").string());
    CHECK(inspect.status == 0);
    CHECK_THAT(inspect.output, Catch::Contains("arch 2-32-32-2") && Catch::Contains("1218 parameters"));
}

TEST_CASE("hebb train on a Fashion-MNIST subset learns", "[apps]") {
    INFO("Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (or scripts/setup)");
    REQUIRE(fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"));
    const fs::path out = cli::scratch("fashion");
    const cli::Result r = cli::hebb("train --data fashion-mnist --arch 784-64-10 --subset 3000 --epochs 2 --threads 1 --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto at = r.output.find("test accuracy ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(r.output.substr(at + 14, 6)) > 0.70);
}

TEST_CASE("bad settings are refused before any work, naming the flag", "[apps]") {
    const fs::path out = cli::scratch("bad");
    struct Case {
        std::string args, expected;
    };
    const std::vector<Case> cases{
        {"train --optimizer foo", "--optimizer: foo not in {sgd,adam,adamw,rmsprop}"},
        {"train --lr 0", "--lr"},
        {"train --lr -1", "--lr"},
        {"train --batch-size 0", "--batch-size"},
        {"train --data spirals --arch 3-10-2", "--arch 3-10-2: spirals needs input size 2"},
        {"train --data spirals --arch 2-x-2", "arch '2-x-2'"},
        {"train --data nothing", "dataset 'nothing' is unknown"},
        {"train --reg bean7", "--reg: bean7 not in"},
        {"train --data spirals --arch 2-8-2 --out /proc/hebb", "--out /proc/hebb"},
        {"train --data spirals --arch 2-8-2 --val 5000", "--val 5000"},
        {"eval --model /nonexistent.safetensors", "--model: File does not exist"},
        {"inspect " + std::string(HEBB_FIXTURES) + "/../meson.build", "header length"},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const bool add_out = c.args.starts_with("train") && c.args.find("--out") == std::string::npos;
        const cli::Result r = cli::hebb(c.args + (add_out ? " --epochs 1 --out " + out.string() : ""));
        CHECK(r.status != 0);
        CHECK_THAT(r.output, Catch::Contains(c.expected));
    }
    CHECK_FALSE(fs::exists(out / "metrics.jsonl"));
}

TEST_CASE("every option of every subcommand says what it does; hebb --version names the build", "[apps]") {
    for (const std::string command : {"train", "eval", "inspect", "assemblies", "prune", "fewshot", "bench"}) {
        const cli::Result r = cli::hebb(command + " --help");
        REQUIRE(r.status == 0);
        std::vector<std::string> lines;
        std::istringstream in(r.output);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        // CLI11 writes an option's description from column 30, or on the next line when its name,
        // type and default reach that far.
        int options = 0;
        for (size_t i = 0; i < lines.size(); ++i) {
            const std::string& line = lines[i];
            if (!line.starts_with("  -")) continue;
            ++options;
            const bool same_line = line.size() > 30 && line[29] == ' ' && line[30] != ' ';
            const bool next_line = i + 1 < lines.size() && lines[i + 1].starts_with(std::string(30, ' ')) &&
                                   lines[i + 1].find_first_not_of(' ') == 30;
            INFO("hebb " << command << " --help: " << line);
            CHECK((same_line || next_line));
        }
        CHECK(options >= 1);
    }
    const cli::Result v = cli::hebb("--version");
    CHECK(v.status == 0);
    CHECK_THAT(v.output, Catch::StartsWith("hebb 0.") && Catch::Contains("products on"));
}

TEST_CASE("every error reads error: ... and exits 2 for a bad command line, 1 for a failed run", "[apps]") {
    const fs::path dir = cli::scratch("exit_codes");
    const std::string out = " --out " + (dir / "out").string();
    fs::create_directories(dir);
    std::ofstream(dir / "malformed.safetensors") << "not a checkpoint";
    struct Case {
        std::string args, expected;
        int exit;
    };
    const std::vector<Case> cases{
        {"train --lr -1", "error: --lr: must be positive, got -1; see hebb train --help", 2},          // CLI11 check
        {"train --no-such-flag", "error: The following argument was not expected: --no-such-flag; see hebb train --help", 2},
        {"eval", "error: --model is required; see hebb eval --help", 2},                               // required option
        {"", "error: A subcommand is required; see hebb --help", 2},
        {"train --val 99999999 --data spirals --arch 2-4-2" + out,                                      // after parsing
         "error: --val 99999999: the training split has 1000 samples; hold out fewer; see hebb train --help", 2},
        {"train --data nothing" + out, "error: --data: dataset 'nothing' is unknown", 2},               // from the library
        {"eval --data spirals --model " + (dir / "malformed.safetensors").string(), "error: " + dir.string(), 1},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const cli::Result r = cli::hebb(c.args);
        CHECK(r.status == c.exit);
        CHECK_THAT(r.output, Catch::StartsWith(c.expected));
    }
    CHECK_FALSE(fs::exists(dir / "out" / "metrics.jsonl"));
    const cli::Result help = cli::hebb("train --help");
    CHECK(help.status == 0);
    CHECK_THAT(help.output, Catch::Contains("--lr") && !Catch::Contains("error:"));
    CHECK(cli::hebb("--help").status == 0);
}

TEST_CASE("a diverging run stops, naming the epoch and step, or with --detect-anomaly the op", "[apps]") {
    const fs::path out = cli::scratch("diverge");
    const cli::Result r = cli::hebb("train --data spirals --arch 2-8-2 --lr 1e30 --epochs 3 --out " + out.string());
    CHECK(r.status != 0);
    CHECK_THAT(r.output, Catch::Contains("epoch 1 step 2: the loss is -nan") && Catch::Contains("--detect-anomaly"));
    CHECK_FALSE(fs::exists(out / "last.safetensors"));  // nothing non-finite is ever saved
    const cli::Result a = cli::hebb("train --data spirals --arch 2-8-2 --lr 1e30 --epochs 3 --detect-anomaly --overwrite --out " + out.string());
    CHECK(a.status != 0);
    CHECK_THAT(a.output, Catch::Contains("anomaly: linear of (64x8), (2x8), (1x2) produced a non-finite value"));
}

TEST_CASE("hebb train with BEAN reports its term next to the task loss", "[apps][bean]") {
    const fs::path out = cli::scratch("bean");
    const cli::Result r = cli::hebb("train " + spirals + " --epochs 2 --reg bean2 --alpha 5 --gamma 0.5 --bean-layers all --out " + out.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto metrics = read_jsonl(out / "metrics.jsonl");
    REQUIRE(metrics.size() == 2);
    CHECK(metrics[1]["reg_loss"].get<double>() > 0.0);
    const Json config = Json::parse(std::ifstream(out / "config.json"));
    CHECK(config["reg"] == "bean2");
    CHECK(config["bean_layers"] == "all");
    CHECK(cli::hebb("train --data spirals --arch 2-8-2 --reg bean1 --bean-layers 5 --epochs 1 --out " + out.string()).output.find(
              "layers '5': Linear 5 is out of range; the model has 2 Linear layers") != std::string::npos);
}

TEST_CASE("BEAN without --alpha trains at the reference strength, 3; L1 and L2 need theirs", "[apps][bean]") {
    const fs::path given = cli::scratch("alpha3"), implied = cli::scratch("alpha_default");
    REQUIRE(cli::hebb("train " + spirals + " --epochs 2 --reg bean1 --alpha 3 --out " + given.string()).status == 0);
    const cli::Result r = cli::hebb("train " + spirals + " --epochs 2 --reg bean1 --out " + implied.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(Json::parse(std::ifstream(implied / "config.json"))["alpha"] == 3.0);
    const auto a = read_jsonl(given / "metrics.jsonl"), b = read_jsonl(implied / "metrics.jsonl");
    REQUIRE(a.size() == 2);
    REQUIRE(b.size() == 2);
    CHECK(b[1]["reg_loss"].get<double>() > 0.0);
    CHECK(b[1]["reg_loss"] == a[1]["reg_loss"]);
    CHECK(b[1]["train_loss"] == a[1]["train_loss"]);
    const cli::Result l2 = cli::hebb("train " + spirals + " --epochs 1 --reg l2 --out " + cli::scratch("l2").string());
    CHECK(l2.status == 2);
    CHECK_THAT(l2.output, Catch::Contains("--reg l2 needs --alpha"));
    // alpha 0 is no regularizer, as --reg none is: scripts give both for their baseline.
    CHECK(cli::hebb("train " + spirals + " --epochs 1 --reg none --alpha 0 --out " + cli::scratch("none0").string()).status == 0);
}

TEST_CASE("a checkpoint records its dataset; eval, prune and assemblies default to it and refuse one it does not fit",
          "[apps]") {
    const fs::path run = cli::scratch("recorded");
    REQUIRE(cli::hebb("train " + spirals + " --epochs 2 --out " + run.string()).status == 0);
    const std::string model = (run / "last.safetensors").string();
    const hebb::training::Checkpoint c = hebb::training::load_checkpoint(model);
    CHECK(c.notes.at("data") == "spirals");
    CHECK(c.notes.at("inputs") == "as read");
    const Json implied = Json::parse(cli::hebb("eval --json --model " + model).output);
    const Json given = Json::parse(cli::hebb("eval --json --data spirals --model " + model).output);
    CHECK(implied["data"] == "spirals");
    CHECK(implied["accuracy"] == given["accuracy"]);
    CHECK(implied["n"] == 1000);
    const fs::path pruned = cli::scratch("recorded_pruned.safetensors");
    const cli::Result p = cli::hebb("prune --model " + model + " --rel-threshold 0.01 --out " + pruned.string());
    INFO(p.output);
    CHECK(p.status == 0);
    CHECK(hebb::training::load_checkpoint(pruned.string()).notes.at("data") == "spirals");  // kept by prune
    const cli::Result mnist = cli::hebb("eval --data mnist --model " + model);
    CHECK(mnist.status == 2);
    CHECK_THAT(mnist.output, Catch::Contains("the model takes 2 inputs and gives 2 outputs; mnist has 1x28x28 = 784 "
                                             "features and 10 classes; pick the --data it was trained on (spirals)"));
}

TEST_CASE("hebb fewshot chooses on selection seeds, reports other seeds, and continues a stopped run", "[apps][fewshot]") {
    INFO("MNIST is missing: run scripts/setup as root");
    REQUIRE(fs::exists(hebb::data::data_root() + "/mnist/train-images-idx3-ubyte"));
    const fs::path out = cli::scratch("fewshot");
    const std::string command = std::string(HEBB_EXE) + " fewshot --data mnist --arch 784-32-10 --shots 1,2 --seeds 2 "
                                "--selection-seeds 1 --methods none,l2 --epochs 2 --val-size 300 --out " + out.string();
    // Standard output holds the JSON alone; the progress lines go to standard error.
    const cli::Result r = cli::shell("(" + command + " --json 2>" + (out.string() + ".log") + ")");
    INFO(r.output);
    REQUIRE(r.status == 0);
    const Json j = Json::parse(r.output);
    CHECK(j["selection_seeds"] == Json({1001}));
    CHECK(j["eval_seeds"] == Json({1, 2}));
    const Json& results = j["results"];
    REQUIRE(results.size() == 4);  // 2 shots x 2 methods
    for (const Json& row : results) {
        CHECK(row["test_acc"].size() == 2);
        CHECK(row["mean"].get<double>() > 0.1);  // above chance even after 2 epochs
        for (const Json& s : row["selection_seeds"]) CHECK(std::find(row["eval_seeds"].begin(), row["eval_seeds"].end(), s) == row["eval_seeds"].end());
    }
    const Json& none = results[0];
    const Json& l2 = results[1];
    CHECK(none["grid_size"] == 1);
    CHECK(none["selection"].empty());
    REQUIRE(l2["method"] == "l2");
    REQUIRE(l2["selection"].size() == 3);
    // The chosen value is the one with the best mean validation accuracy on the selection seed.
    double best = -1, chosen = 0;
    for (const Json& s : l2["selection"]) {
        CHECK(s["val_acc"].size() == 1);
        if (s["mean_val_acc"].get<double>() > best) best = s["mean_val_acc"], chosen = s["value"];
    }
    CHECK(l2["chosen"].get<double>() == chosen);
    // Paired with none seed by seed.
    for (size_t i = 0; i < 2; ++i)
        CHECK(l2["vs_none"]["differences"][i].get<double>() ==
              Approx(l2["test_acc"][i].get<double>() - none["test_acc"][i].get<double>()));
    CHECK_THAT(cli::read_text(out / "fewshot.md"), Catch::Contains("| 2 | l2 | 3 |") && Catch::Contains("95 % interval"));

    // 2 shots x (3 values x 1 selection seed + 2 evaluation seeds for l2, 2 for none): 14 runs kept.
    std::vector<std::string> lines;
    {
        std::istringstream in(cli::read_text(out / "runs.jsonl"));
        for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    REQUIRE(lines.size() == 14);
    // A stop after 11 runs: started again, the command trains the 3 missing ones and reports the same.
    {
        std::ofstream kept(out / "runs.jsonl");
        for (size_t i = 0; i < 11; ++i) kept << lines[i] << "\n";
    }
    const cli::Result again = cli::hebb(command.substr(std::string(HEBB_EXE).size() + 1));
    INFO(again.output);
    REQUIRE(again.status == 0);
    size_t trained = 0;
    for (size_t at = again.output.find("] k="); at != std::string::npos; at = again.output.find("] k=", at + 1)) ++trained;
    CHECK(trained == 3);
    CHECK(Json::parse(cli::read_text(out / "fewshot.json"))["results"] == results);

    CHECK_THAT(cli::hebb(command.substr(std::string(HEBB_EXE).size() + 1) + " --lr 0.001").output,
               Catch::Contains("holds few-shot runs made with other settings"));
    CHECK(cli::hebb("fewshot --methods magic --out " + out.string()).output.find("--methods: 'magic' is unknown") != std::string::npos);
}

TEST_CASE("hebb bench prints one JSON line per case", "[apps][bench]") {
    const cli::Result r = cli::hebb("bench --arch 20-8-4,20-16-4 --reg none,bean2 --optimizer sgd,adam --steps 2 --rounds 2");
    INFO(r.output);
    REQUIRE(r.status == 0);
    std::istringstream lines(r.output);
    int cases = 0;
    for (std::string line; std::getline(lines, line); ++cases) {
        const Json j = Json::parse(line);
        CHECK(j["samples_per_s"].get<double>() > 0.0);
        CHECK(j["step_ms_min"].get<double>() <= j["step_ms_median"].get<double>());
        CHECK(j["mode"] == "train");
    }
    CHECK(cases == 8);  // 2 archs x 2 optimizers x 2 regularizers
    CHECK(cli::hebb("bench --optimizer lbfgs --steps 1 --rounds 1").output.find("'lbfgs' is not sgd or adam") != std::string::npos);

    // Conv nets by spec: LeNet-5 and a small one; a spec that does not parse names its token.
    const cli::Result conv = cli::hebb("bench --arch lenet5,1x8x8:conv2k3-relu-flatten-linear3 --batch-size 4 --steps 2 --rounds 1");
    INFO(conv.output);
    REQUIRE(conv.status == 0);
    std::istringstream conv_lines(conv.output);
    std::vector<std::string> archs;
    for (std::string line; std::getline(conv_lines, line);) archs.push_back(Json::parse(line)["arch"]);
    CHECK(archs == std::vector<std::string>{"lenet5", "1x8x8:conv2k3-relu-flatten-linear3"});
    const cli::Result bad = cli::hebb("bench --arch 1x8x8:conv2k3-maxpol2 --steps 1 --rounds 1");
    CHECK(bad.status == 2);
    CHECK_THAT(bad.output, Catch::Contains("--arch: spec '1x8x8:conv2k3-maxpol2': token 2 'maxpol2' is not a layer"));
    CHECK(cli::hebb("bench --arch lenet5 --products --steps 1 --rounds 1").status == 2);
}

TEST_CASE("every subcommand takes a conv net: colour images through train, eval, inspect, assemblies, prune", "[apps][conv]") {
    // Two classes of 8x8 colour images told apart by colour alone: red or blue, with noise.
    const fs::path images = cli::scratch("rgb"), run = cli::scratch("conv_run"), pruned = cli::scratch("conv_pruned.safetensors");
    hebb::Generator gen(3);
    for (int i = 0; i < 60; ++i) {
        const int label = i % 2;
        std::vector<unsigned char> pixels(8 * 8 * 3);
        for (size_t p = 0; p < pixels.size(); ++p) {
            const bool strong = static_cast<int>(p % 3) == (label ? 2 : 0);
            pixels[p] = static_cast<unsigned char>((strong ? 150 : 40) + gen.below(100));
        }
        const fs::path file = images / std::to_string(label) / (std::to_string(i) + ".png");
        fs::create_directories(file.parent_path());
        REQUIRE(stbi_write_png(file.c_str(), 8, 8, 3, pixels.data(), 8 * 3) != 0);
    }
    const std::string data = "--data images:" + images.string();
    const std::string arch = "3x8x8:conv4k3p1-relu-maxpool2-flatten-linear8-relu-linear2";
    const cli::Result train = cli::hebb("train " + data + " --arch " + arch + " --epochs 6 --batch-size 8 --lr 0.01 "
                                        "--reg bean1 --alpha 0.1 --out " + run.string());
    INFO(train.output);
    REQUIRE(train.status == 0);
    // 12 test images: colour is all there is to learn, so a working conv net gets them all.
    const Json eval = Json::parse(cli::hebb("eval --json " + data + " --model " + (run / "last.safetensors").string()).output);
    CHECK(eval["accuracy"].get<double>() == 1.0);
    CHECK(eval["n"] == 12);
    CHECK(read_jsonl(run / "metrics.jsonl").back()["reg_loss"].get<double>() > 0.0);  // BEAN on both Linears

    // The file holds PyTorch's shapes: the conv weight 4-D.
    const std::string file = cli::read_text(run / "last.safetensors");
    std::uint64_t length = 0;
    std::memcpy(&length, file.data(), 8);
    const Json header = Json::parse(file.substr(8, length));
    CHECK(header["0.weight"]["shape"] == Json::array({4, 3, 3, 3}));
    CHECK(header["4.weight"]["shape"] == Json::array({8, 64}));  // after relu, maxpool and flatten
    const cli::Result inspect = cli::hebb("inspect " + (run / "last.safetensors").string());
    CHECK_THAT(inspect.output, Catch::Contains("arch " + arch) && Catch::Contains("takes 3x8x8 = 192") &&
                                   Catch::Contains("(4x3x3x3)"));

    const fs::path asm_out = cli::scratch("conv_assemblies");
    const cli::Result assemblies = cli::hebb("assemblies " + data + " --model " + (run / "last.safetensors").string() +
                                             " --out " + asm_out.string());
    INFO(assemblies.output);
    CHECK(assemblies.status == 0);
    CHECK_THAT(assemblies.output, Catch::Contains("layer0") && Catch::Contains("64 neurons"));  // fc1 reads 4x4x4
    CHECK(fs::exists(asm_out / "layer0_structural.svg"));

    const cli::Result prune = cli::hebb("prune " + data + " --model " + (run / "last.safetensors").string() +
                                        " --abs-threshold 0.05 --out " + pruned.string());
    INFO(prune.output);
    REQUIRE(prune.status == 0);
    const hebb::training::Checkpoint small = hebb::training::load_checkpoint(pruned.string());
    CHECK(small.spec.arch.starts_with("3x8x8:conv4k3p1-relu-maxpool2-flatten-linear"));
    CHECK_THAT(prune.output, Catch::Contains("(arch " + small.spec.arch + ")"));
    const Json pruned_eval = Json::parse(cli::hebb("eval --json " + data + " --model " + pruned.string()).output);
    char after[32];  // the pruned file evaluates to the accuracy prune printed for it, the table's last column
    std::snprintf(after, sizeof after, "%.4f |\n", pruned_eval["accuracy"].get<double>());
    CHECK_THAT(prune.output, Catch::Contains(after));

    // The sweep counts the conv layer (4x3x3x3 + 4 parameters, 2 x 108 x 8 x 8 FLOPs) at every point;
    // pruning neurons by half leaves fc1 4 of its 8.
    const fs::path csv = cli::scratch("conv_sweep") / "sweep.csv";
    const cli::Result sweep = cli::hebb("prune --sweep " + data + " --model " + (run / "last.safetensors").string() +
                                        " --out " + csv.parent_path().string());
    INFO(sweep.output);
    REQUIRE(sweep.status == 0);
    const std::string rows = cli::read_text(csv);
    CHECK_THAT(rows, Catch::Contains("\nneurons,1," + (run / "last.safetensors").string() + ",conv_run/last,64-8-2," +
                                     std::to_string(112 + 64 * 8 + 8 + 8 * 2 + 2) + ","));
    CHECK_THAT(rows, Catch::Contains("\nneurons,0.5,") &&
                         Catch::Contains(",64-4-2," + std::to_string(112 + 64 * 4 + 4 + 4 * 2 + 2) + ",") &&
                         Catch::Contains("," + std::to_string(2 * 108 * 64 + 2 * (64 * 4 + 4 * 2)) + ","));

    const cli::Result resumed = cli::hebb("train --resume " + run.string() + " --epochs 7");
    CHECK(resumed.status == 0);
    CHECK(read_jsonl(run / "metrics.jsonl").size() == 7);
}
