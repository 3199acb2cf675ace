// hebb fewshot: learning from k samples per class, BEAN's few-shot experiment with a protocol that
// could show a method does not help.
//
// The k samples per class come from the first 50,000 training images, the validation split from
// images 50,000 on (so they never overlap). Each run trains with Adam and keeps its best-validation
// weights (or the last ones); the test split is read once per run. A method's hyper-parameter is
// chosen by mean validation accuracy over the selection seeds; the reported test figures come from
// other seeds (the evaluation seeds), which never take part in the choice, so no method gets a
// best-of-grid on the draws it is judged on. Seed s draws the same samples and initial weights for
// every method, so each method is compared with "none" draw by draw (a paired t test).
//
// Every finished run is kept in <out>/runs.jsonl: a stopped command started again with the same
// settings skips the runs it already has. Under mpirun the ranks share the runs out, each training
// one at a time, and rank 0 keeps the results in the order one process would.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Each method and the values its hyper-parameter is chosen from: the regularizer's alpha, or the
// dropout probability; three each. "none" has nothing to choose.
const std::map<std::string, std::vector<double>> grids{
    {"none", {0.0}},
    {"l1", {1e-5, 1e-4, 1e-3}},
    {"l2", {1e-4, 1e-3, 1e-2}},
    {"dropout", {0.2, 0.5, 0.7}},
    {"bean1", {1.0, 10.0, 100.0}},
    {"bean2", {1.0, 10.0, 100.0}},
};

// Selection seeds are numbered from here, evaluation seeds from 1: the two never meet.
constexpr int first_selection_seed = 1001;

struct Options {
    std::string data = "mnist", arch = "784-256-128-10", act = "relu", shots = "1,5,10";
    std::string methods = "none,l1,l2,dropout,bean1,bean2", out = "runs/fewshot", weights = "best";
    int seeds = 5, selection_seeds = 2, epochs = 100, batch_size = 1, threads = 1;
    long val_size = 10000;
    double lr = 5e-4;
    bool json = false, overwrite = false;
};

// What decides a run's result besides its method, value, k and seed: a folder's runs can be reused
// only under the same settings.
Json settings(const Options& o, long val_end) {
    return {{"data", o.data}, {"arch", o.arch}, {"act", o.act}, {"epochs", o.epochs}, {"batch_size", o.batch_size},
            {"lr", o.lr}, {"validation", {50000, val_end}}, {"weights", o.weights}};
}

struct Result {
    double val_acc, test_acc;
};

// Trains on `train` with Adam; the validation accuracy and test accuracy of the best-validation
// weights (or of the last epoch's).
Result train_one(const Options& o, const data::TensorDataset& train, const data::TensorDataset& val,
                 const data::TensorDataset& test, const std::string& method, double value, std::uint64_t seed) {
    Generator gen(seed);
    const nn::ModelSpec plain{o.arch, o.act};
    const nn::ModelSpec spec = method == "dropout" ? nn::with_dropout(plain, static_cast<float>(value)) : plain;
    const auto net = nn::build_model(spec, gen).net;
    optim::Adam opt(net->parameters(), {.lr = o.lr});
    const bool regularized = method != "none" && method != "dropout";
    const auto reg = reg::make_regularizer(regularized ? method : "none", static_cast<float>(value));
    data::DataLoader loader(train, o.batch_size, true, seed);
    Result best{-1.0, 0.0};
    StateDict best_weights;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        training::train_epoch(*net, loader, opt, reg.get(), epoch);
        const double acc = training::evaluate(*net, val).accuracy;
        if (o.weights == "last") best.val_acc = acc;
        else if (acc > best.val_acc) best.val_acc = acc, best_weights = net->state_dict();
    }
    if (o.weights == "best") net->load_state_dict(best_weights);
    best.test_acc = training::evaluate(*net, test).accuracy;
    return best;
}

// The runs of one command: the ones already in <out>/runs.jsonl and the ones it trains, saved after
// each so that a stop loses at most the runs under way. In an MPI job every rank knows them all and
// rank 0 alone writes.
class Runs {
public:
    using Key = std::tuple<int, std::string, double, int>;  // k, method, value, seed

    Runs(const Options& o, const Json& config) : path_(fs::path(o.out) / "runs.jsonl") {
        const fs::path config_path = fs::path(o.out) / "config.json";
        if (o.overwrite) {
            if (parallel::rank() == 0) fs::remove(path_);
        } else if (fs::exists(config_path)) {
            const Json old = Json::parse(read_file(config_path.string()), nullptr, false);
            check_usage(old == config, "--out ", o.out, " holds few-shot runs made with other settings (",
                        old.is_discarded() ? std::string("unreadable config.json") : old.dump(), "); use another --out, "
                        "or --overwrite to replace them");
            std::istringstream lines(fs::exists(path_) ? read_file(path_.string()) : "");
            for (std::string line; std::getline(lines, line);) {
                const Json r = Json::parse(line, nullptr, false);
                check_usage(!r.is_discarded() && r.contains("test_acc"), path_.string(), ": line '", line,
                            "' is not a run; remove the file or use --overwrite");
                done_[{r["shots"].get<int>(), r["method"].get<std::string>(), r["value"].get<double>(), r["seed"].get<int>()}] =
                    {r["val_acc"].get<double>(), r["test_acc"].get<double>()};
                text_ += line + "\n";
            }
        }
        if (parallel::rank() == 0) write_file_atomic(config_path.string(), config.dump(2) + "\n");
    }

    const Result* find(const Key& key) const {
        const auto it = done_.find(key);
        return it == done_.end() ? nullptr : &it->second;
    }

    static std::string line(const Key& key, const Result& r) {
        const auto& [k, method, value, seed] = key;
        return Json{{"shots", k}, {"method", method}, {"value", value}, {"seed", seed}, {"val_acc", r.val_acc},
                    {"test_acc", r.test_acc}}.dump();
    }

    void add(const Key& key, const Result& r) {
        done_[key] = r;
        text_ += line(key, r) + "\n";
        if (parallel::rank() == 0) write_file_atomic(path_.string(), text_);
    }

private:
    fs::path path_;
    std::map<Key, Result> done_;
    std::string text_;
};

std::string value_str(const std::string& method, double v) {
    if (method == "none") return "-";
    std::ostringstream s;
    s << v;
    return s.str();
}

Json number_or_null(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

int run(const Options& o) {
    set_num_threads(o.threads);
    const std::vector<std::string> methods = split_list(o.methods);
    for (const std::string& m : methods)
        check_usage(grids.count(m), "--methods: '", m, "' is unknown; use none, l1, l2, dropout, bean1, bean2");
    const std::vector<int> shots = positive_ints(o.shots, "--shots");
    const nn::Model model = reading_flag("--arch", [&] { return nn::build_model({o.arch, o.act}); });
    reading_flag("--data", [&] { data::check_dataset_name(o.data); });
    const data::Splits splits = data::load_dataset(o.data);
    check_usage(splits.train.size() > 50000, "--data ", o.data,
                ": the protocol needs more than 50,000 training images; use mnist or fashion-mnist");
    check_usage(fits(model.input, splits.train.image) && model.output.size() == splits.train.classes, "--arch ", o.arch,
                ": ", o.data, " needs input size ", splits.train.image.values(), " and output size ", splits.train.classes);
    const long val_end = 50000 + std::min<long>(splits.train.size() - 50000, o.val_size);
    // The largest k drawn once now: a class with fewer samples fails here, not after the smaller k's runs.
    reading_flag("--shots", [&] { data::few_shot(splits.train, *std::max_element(shots.begin(), shots.end()), 0, 0, 50000); });
    const data::TensorDataset val = data::slice(splits.train, 50000, val_end);
    const Json config = settings(o, val_end);
    Json job = config;
    job.update({{"shots", o.shots}, {"methods", o.methods}, {"seeds", o.seeds}, {"selection_seeds", o.selection_seeds},
                {"out", o.out}, {"overwrite", o.overwrite}});
    check_same_settings(job.dump());
    if (parallel::rank() == 0) prepare_output_folder(o.out, "--out");
    Runs runs(o, config);

    std::vector<int> selection_seeds, eval_seeds;
    for (int i = 0; i < o.selection_seeds; ++i) selection_seeds.push_back(first_selection_seed + i);
    for (int i = 1; i <= o.seeds; ++i) eval_seeds.push_back(i);

    // Progress: a line per run, on standard error when standard output carries the JSON.
    FILE* log = o.json ? stderr : stdout;
    long total = 0, count = 0, trained = 0;
    for (const std::string& m : methods)
        total += static_cast<long>(shots.size()) *
                 ((grids.at(m).size() > 1 ? static_cast<long>(grids.at(m).size()) * o.selection_seeds : 0) + o.seeds);
    const auto start = std::chrono::steady_clock::now();
    // Trains the runs `keys` that are not done yet. The ranks of an MPI job take them in turns of
    // one each, pending[turn * ranks + rank], and every rank then learns the turn's results in order.
    const int rank = parallel::rank(), ranks = parallel::size();
    const auto train_all = [&](const std::vector<Runs::Key>& keys, const char* role) {
        std::vector<Runs::Key> pending;
        for (const Runs::Key& key : keys) runs.find(key) ? static_cast<void>(++count) : pending.push_back(key);
        for (size_t turn = 0; turn < pending.size(); turn += static_cast<size_t>(ranks)) {
            std::string mine;
            if (turn + static_cast<size_t>(rank) < pending.size()) {
                const Runs::Key& key = pending[turn + static_cast<size_t>(rank)];
                const auto& [k, method, value, seed] = key;
                const auto s = static_cast<std::uint64_t>(seed);
                mine = Runs::line(key, train_one(o, data::few_shot(splits.train, k, s, 0, 50000), val, splits.test,
                                                 method, value, s));
            }
            for (const std::string& text : parallel::all_gather(mine)) {
                if (text.empty()) continue;
                const Json j = Json::parse(text);
                const Runs::Key key{j["shots"], j["method"], j["value"], j["seed"]};
                const Result r{j["val_acc"], j["test_acc"]};
                runs.add(key, r);
                ++count, ++trained;
                const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                if (rank > 0) continue;
                std::fprintf(log, "[%ld/%ld] k=%d %s %s, %s seed %d: val %.4f test %.4f; about %.0f min left\n", count,
                             total, std::get<0>(key), std::get<1>(key).c_str(),
                             value_str(std::get<1>(key), std::get<2>(key)).c_str(), role, std::get<3>(key), r.val_acc,
                             r.test_acc, seconds / static_cast<double>(trained) * static_cast<double>(total - count) / 60.0);
                std::fflush(log);
            }
        }
    };
    const auto result = [&](int k, const std::string& method, double value, int seed) {
        return *runs.find({k, method, value, seed});
    };

    // The selection runs first; the evaluation runs then use the values they choose.
    std::vector<Runs::Key> selection_runs;
    for (int k : shots)
        for (const std::string& method : methods)
            if (grids.at(method).size() > 1)
                for (double value : grids.at(method))
                    for (int s : selection_seeds) selection_runs.emplace_back(k, method, value, s);
    train_all(selection_runs, "selection");
    const auto choose = [&](int k, const std::string& method, Json* selection) {
        const std::vector<double>& grid = grids.at(method);
        double chosen = grid.front(), best = -1.0;
        if (grid.size() > 1)
            for (double value : grid) {
                std::vector<double> accs;
                for (int s : selection_seeds) accs.push_back(result(k, method, value, s).val_acc);
                double mean = 0.0;
                for (double a : accs) mean += a / static_cast<double>(accs.size());
                if (selection) selection->push_back({{"value", value}, {"val_acc", accs}, {"mean_val_acc", mean}});
                if (mean > best) best = mean, chosen = value;  // ties: the first in the grid
            }
        return chosen;
    };
    std::vector<Runs::Key> evaluation_runs;
    for (int k : shots)
        for (const std::string& method : methods)
            for (int s : eval_seeds) evaluation_runs.emplace_back(k, method, choose(k, method, nullptr), s);
    train_all(evaluation_runs, "evaluation");

    Json results = Json::array();
    std::ostringstream table, paired;
    table << "| shots per class | method | grid | chosen | test accuracy (%) |\n|---|---|---|---|---|\n";
    paired << "| shots per class | method | difference (points) | 95 % interval | p | better on |\n"
              "|---|---|---|---|---|---|\n";
    for (int k : shots) {
        std::map<std::string, std::vector<double>> tests;
        for (const std::string& method : methods) {
            const std::vector<double>& grid = grids.at(method);
            Json selection = Json::array();
            const double chosen = choose(k, method, &selection);
            std::vector<double> val_accs;
            for (int s : eval_seeds) {
                const Result r = result(k, method, chosen, s);
                tests[method].push_back(r.test_acc), val_accs.push_back(r.val_acc);
            }
            const std::vector<double>& t = tests[method];
            double mean = 0.0, var = 0.0;
            for (double x : t) mean += x / static_cast<double>(t.size());
            for (double x : t) var += (x - mean) * (x - mean) / std::max(1.0, static_cast<double>(t.size()) - 1.0);
            Json row = {{"shots", k}, {"method", method}, {"grid", grid}, {"grid_size", grid.size()},
                        {"selection_seeds", grid.size() > 1 ? Json(selection_seeds) : Json::array()},
                        {"selection", selection}, {"chosen", chosen}, {"eval_seeds", eval_seeds}, {"test_acc", t},
                        {"val_acc", val_accs}, {"mean", mean}, {"sd", std::sqrt(var)}, {"vs_none", nullptr}};
            table << "| " << k << " | " << method << " | " << grid.size() << " | " << value_str(method, chosen) << " | "
                  << fixed(100 * mean, 2) << " ± " << fixed(100 * std::sqrt(var), 2) << " |\n";
            if (method != "none" && tests.count("none")) {
                const analysis::PairedComparison c = analysis::paired_t(t, tests["none"]);
                row["vs_none"] = {{"differences", c.differences}, {"mean", c.mean}, {"sd", c.sd},
                                  {"ci95", {number_or_null(c.low), number_or_null(c.high)}},
                                  {"p_value", number_or_null(c.p_value)}, {"better", c.better}};
                paired << "| " << k << " | " << method << " | " << (c.mean >= 0 ? "+" : "") << fixed(100 * c.mean, 2)
                       << " | " << (std::isfinite(c.low) ? fixed(100 * c.low, 2) + " to " + fixed(100 * c.high, 2) : "-")
                       << " | " << (std::isfinite(c.p_value) ? fixed(c.p_value, 3) : "-") << " | " << c.better << " of "
                       << t.size() << " |\n";
            }
            results.push_back(row);
        }
    }
    Json out = config;
    out["selection_seeds"] = selection_seeds;
    out["eval_seeds"] = eval_seeds;
    out["results"] = results;

    std::ostringstream md;
    md << "# Few-shot results\n\n" << o.data << ", " << o.arch << ", Adam lr " << o.lr << ", batch " << o.batch_size
       << ", " << o.epochs << " epochs, the " << o.weights << (o.weights == "best" ? "-validation" : "")
       << " weights; validation on training images 50,000 to " << val_end << ". Each hyper-parameter chosen by mean "
       << "validation accuracy over selection seeds " << first_selection_seed << " to "
       << first_selection_seed + o.selection_seeds - 1 << " (\"grid\": how many values were tried); test accuracy "
       << "over evaluation seeds 1 to " << o.seeds << ", mean ± standard deviation.\n\n"
       << table.str() << "\nEach method minus none, seed by seed (same samples, same initial weights), in points: mean, "
       << "95 % t interval, two-sided paired t test p-value, and on how many draws the method is ahead.\n\n"
       << paired.str();
    if (rank > 0) return 0;
    write_file_atomic((fs::path(o.out) / "fewshot.md").string(), md.str());
    write_file_atomic((fs::path(o.out) / "fewshot.json").string(), out.dump(2) + "\n");
    if (o.json) {
        std::printf("%s\n", out.dump().c_str());
    } else {
        std::printf("\n%s\n%s\nwrote %s/fewshot.md, fewshot.json and runs.jsonl\n", table.str().c_str(),
                    paired.str().c_str(), o.out.c_str());
    }
    return 0;
}

}  // namespace

Command add_fewshot(CLI::App& app) {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "fewshot", "Few-shot learning: k samples per class, methods compared over seeds (hyper-parameters chosen on "
                   "other seeds). Runs: per shot count and method, 3 x selection seeds + seeds (none: seeds); at the "
                   "defaults 180, each printed as it ends and kept in --out, so a stopped run continues; under mpirun "
                   "the ranks share them out");
    cmd->add_option("--data", o->data, "mnist or fashion-mnist")->capture_default_str();
    cmd->add_option("--arch", o->arch, "The model: an MLP's sizes, lenet5, or a conv spec (docs/models.md)")->capture_default_str();
    cmd->add_option("--act", o->act, "An MLP's hidden activation")->check(CLI::IsMember({"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}))->capture_default_str();
    cmd->add_option("--shots", o->shots, "Samples per class drawn from the first 50,000 training images, comma-separated")->capture_default_str();
    cmd->add_option("--seeds", o->seeds, "Evaluation seeds 1..N: the draws the test accuracies are reported on")
        ->check(positive)->check(at_most(1000))->capture_default_str();
    cmd->add_option("--selection-seeds", o->selection_seeds,
                    "Seeds 1001.. that choose each method's hyper-parameter on validation; never reported")
        ->check(positive)->check(at_most(1000))->capture_default_str();
    cmd->add_option("--methods", o->methods, "Comma-separated, each with its grid: none, l1 and l2 (alpha "
                    "1e-5..1e-3 and 1e-4..1e-2), dropout (0.2, 0.5, 0.7), bean1 and bean2 (alpha 1, 10, 100)")->capture_default_str();
    cmd->add_option("--epochs", o->epochs, "Passes over the k x classes training samples per run")->check(positive)->check(at_most(training::max_epochs))->capture_default_str();
    cmd->add_option("--batch-size", o->batch_size, "Samples per step")->check(positive)->capture_default_str();
    cmd->add_option("--lr", o->lr, "Adam's learning rate (> 0)")->check(positive)->capture_default_str();
    cmd->add_option("--weights", o->weights, "Test the best-validation weights (the reference protocol) or the last")
        ->check(CLI::IsMember({"best", "last"}))->capture_default_str();
    cmd->add_option("--val-size", o->val_size, "Validation images from index 50,000 on")->check(positive)->capture_default_str();
    cmd->add_option("--threads", o->threads, "Threads for the products and ops")->check(positive)->check(at_most(max_threads))->capture_default_str();
    cmd->add_option("--out", o->out, "Folder for runs.jsonl, fewshot.md and fewshot.json; runs already there are reused")
        ->capture_default_str();
    cmd->add_flag("--overwrite", o->overwrite, "Forget the runs in --out and start again");
    cmd->add_flag("--json", o->json, "Print the results as one JSON object (progress goes to standard error)");
    return [o] { return run(*o); };
}

}  // namespace hebb::app
