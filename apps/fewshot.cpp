// hebb fewshot: learning from k samples per class, the protocol of BEAN's few-shot experiment done
// honestly. The k samples per class come from the first 50,000 training images, the validation
// split from images 50,000 on (so the two never overlap), every method's hyper-parameter is chosen
// on that validation split by a small grid, each run keeps its best-validation weights, and the
// test split is used once per run for the reported accuracy.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

namespace {

using Json = nlohmann::json;

// Each method and the values its hyper-parameter is chosen from: the regularizer's alpha, or the
// dropout probability. "none" has nothing to choose.
const std::map<std::string, std::vector<double>> grids{
    {"none", {0.0}},
    {"l1", {1e-5, 1e-4, 1e-3}},
    {"l2", {1e-4, 1e-3, 1e-2}},
    {"dropout", {0.2, 0.5}},
    {"bean1", {1.0, 10.0, 100.0}},
    {"bean2", {1.0, 10.0, 100.0}},
};

struct Options {
    std::string data = "mnist", arch = "784-256-128-10", act = "relu", shots = "1,5,10";
    std::string methods = "none,l1,l2,dropout,bean1,bean2", out = "runs/fewshot";
    int seeds = 3, epochs = 100, batch_size = 1, threads = 1;
    long val_size = 10000;
    double lr = 5e-4;
};

struct Run {
    double val_acc, test_acc;
};

// Trains on `train` with Adam and returns the best validation accuracy and the test accuracy of the
// weights that reached it.
Run run_one(const Options& o, const data::TensorDataset& train, const data::TensorDataset& val,
            const data::TensorDataset& test, const std::string& method, double value, std::uint64_t seed) {
    Generator gen(seed);
    const nn::ModelSpec plain{o.arch, o.act};
    const nn::ModelSpec spec = method == "dropout" ? nn::with_dropout(plain, static_cast<float>(value)) : plain;
    const auto net = nn::build_model(spec, gen).net;
    optim::Adam opt(net->parameters(), {.lr = o.lr});
    const bool regularized = method != "none" && method != "dropout";
    const auto reg = reg::make_regularizer(regularized ? method : "none", static_cast<float>(value));
    data::DataLoader loader(train, o.batch_size, true, seed);
    Run best{-1.0, 0.0};
    StateDict best_weights;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        training::train_epoch(*net, loader, opt, reg.get(), epoch);
        const double acc = training::evaluate(*net, val).accuracy;
        if (acc > best.val_acc) best.val_acc = acc, best_weights = net->state_dict();
    }
    net->load_state_dict(best_weights);
    best.test_acc = training::evaluate(*net, test).accuracy;
    return best;
}

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
    const Eigen::Index val_end = 50000 + std::min<Eigen::Index>(splits.train.size() - 50000, o.val_size);
    // The largest k drawn once now: a class with fewer samples fails here, not after the smaller k's runs.
    reading_flag("--shots", [&] { data::few_shot(splits.train, *std::max_element(shots.begin(), shots.end()), 0, 0, 50000); });
    const data::TensorDataset val = data::slice(splits.train, 50000, val_end);
    std::filesystem::create_directories(o.out);

    Json results = Json::array();
    std::ostringstream table;
    table << "| shots per class |";
    for (const std::string& m : methods) table << " " << m << " |";
    table << "\n|---|";
    for (size_t i = 0; i < methods.size(); ++i) table << "---|";
    table << "\n";
    // Every method's seed s uses the same samples and initial weights, so the difference to "none"
    // seed by seed removes the spread that comes from the draw of the samples.
    std::ostringstream paired;
    paired << "| shots per class |";
    for (const std::string& m : methods) if (m != "none") paired << " " << m << " |";
    paired << "\n|---|";
    for (const std::string& m : methods) if (m != "none") paired << "---|";
    paired << "\n";
    for (int k : shots) {
        std::map<std::string, std::vector<double>> tests_by_method;
        table << "| " << k << " |";
        for (const std::string& method : methods) {
            // The hyper-parameter: best validation accuracy on the seed-0 sample.
            const data::TensorDataset sample0 = data::few_shot(splits.train, k, 0, 0, 50000);
            double chosen = grids.at(method).front(), best_val = -1.0;
            std::vector<Run> runs;
            for (double value : grids.at(method)) {
                const Run r = run_one(o, sample0, val, splits.test, method, value, 0);
                std::printf("k=%d %-7s value %-7g seed 0: val %.4f\n", k, method.c_str(), value, r.val_acc);
                if (r.val_acc > best_val) best_val = r.val_acc, chosen = value, runs = {r};
            }
            for (int seed = 1; seed < o.seeds; ++seed) {
                const auto s = static_cast<std::uint64_t>(seed);
                runs.push_back(run_one(o, data::few_shot(splits.train, k, s, 0, 50000), val, splits.test, method, chosen, s));
                std::printf("k=%d %-7s value %-7g seed %d: val %.4f\n", k, method.c_str(), chosen, seed, runs.back().val_acc);
            }
            double mean = 0.0, var = 0.0;
            std::vector<double> tests;
            for (const Run& r : runs) tests.push_back(r.test_acc), mean += r.test_acc / static_cast<double>(runs.size());
            for (double t : tests) var += (t - mean) * (t - mean) / std::max<double>(1.0, static_cast<double>(runs.size()) - 1.0);
            char cell[64];
            std::snprintf(cell, sizeof cell, " %.2f ± %.2f (%g) |", 100 * mean, 100 * std::sqrt(var), chosen);
            table << cell;
            std::printf("k=%d %-7s test %.2f %% ± %.2f over %zu seeds\n", k, method.c_str(), 100 * mean,
                        100 * std::sqrt(var), runs.size());
            results.push_back({{"shots", k}, {"method", method}, {"chosen", chosen}, {"test_acc", tests},
                               {"mean", mean}, {"std", std::sqrt(var)}});
            tests_by_method[method] = tests;
        }
        table << "\n";
        if (!tests_by_method.count("none")) continue;
        paired << "| " << k << " |";
        const std::vector<double>& base = tests_by_method["none"];
        for (const std::string& method : methods) {
            if (method == "none") continue;
            const std::vector<double>& t = tests_by_method[method];
            double mean = 0.0, var = 0.0;
            int better = 0;
            for (size_t i = 0; i < t.size(); ++i) mean += (t[i] - base[i]) / static_cast<double>(t.size()), better += t[i] > base[i];
            for (size_t i = 0; i < t.size(); ++i) var += std::pow(t[i] - base[i] - mean, 2) / std::max<double>(1.0, static_cast<double>(t.size()) - 1.0);
            char cell[80];
            std::snprintf(cell, sizeof cell, " %+.2f ± %.2f (%d of %zu better) |", 100 * mean, 100 * std::sqrt(var), better, t.size());
            paired << cell;
        }
        paired << "\n";
    }
    std::ostringstream md;
    md << "# Few-shot results\n\nTest accuracy in %, mean ± standard deviation over " << o.seeds
       << " seeds (the chosen hyper-parameter in brackets), " << o.data << ", " << o.arch << ", Adam lr " << o.lr
       << ", batch " << o.batch_size << ", " << o.epochs << " epochs, validation on images 50,000 to " << val_end
       << ".\n\n" << table.str() << "\nDifference to none, seed by seed (same samples, same initial weights), in points:\n\n"
       << paired.str();
    write_file_atomic(o.out + "/fewshot.md", md.str());
    write_file_atomic(o.out + "/fewshot.json", results.dump(2) + "\n");
    std::printf("\n%s\n%s\nwrote %s/fewshot.md and fewshot.json\n", table.str().c_str(), paired.str().c_str(), o.out.c_str());
    return 0;
}

}  // namespace

Command add_fewshot(CLI::App& app) {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("fewshot", "Few-shot learning: k samples per class, methods compared over seeds");
    cmd->add_option("--data", o->data, "mnist or fashion-mnist")->capture_default_str();
    cmd->add_option("--arch", o->arch, "The model: an MLP's sizes, lenet5, or a conv spec (docs/models.md)")->capture_default_str();
    cmd->add_option("--act", o->act)->check(CLI::IsMember({"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}))->capture_default_str();
    cmd->add_option("--shots", o->shots, "Samples per class, comma-separated")->capture_default_str();
    cmd->add_option("--seeds", o->seeds, "Runs per method and k")->check(positive)->capture_default_str();
    cmd->add_option("--methods", o->methods, "none, l1, l2, dropout, bean1, bean2")->capture_default_str();
    cmd->add_option("--epochs", o->epochs)->check(positive)->check(at_most(training::max_epochs))->capture_default_str();
    cmd->add_option("--batch-size", o->batch_size)->check(positive)->capture_default_str();
    cmd->add_option("--lr", o->lr)->check(positive)->capture_default_str();
    cmd->add_option("--val-size", o->val_size, "Validation images from index 50,000 on")->check(positive)->capture_default_str();
    cmd->add_option("--threads", o->threads)->check(positive)->check(at_most(max_threads))->capture_default_str();
    cmd->add_option("--out", o->out, "Folder for fewshot.md and fewshot.json")->capture_default_str();
    return [o] { return run(*o); };
}

}  // namespace hebb::app
