// hebb prune: a sparse MLP, or a conv net's dense layers, become smaller dense ones that compute the
// same function once the weights below a threshold are zeroed (see layers/prune.h), saved as an
// ordinary checkpoint.
// --sweep: test accuracy against the fraction of weights kept, for one or more models.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "analysis/pictures.h"
#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

namespace {

namespace fs = std::filesystem;

const std::vector<double> sweep_fractions{1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01};

struct Options {
    std::vector<std::string> models;
    std::string out, data = "fashion-mnist", plot = "prune_sweep.svg";
    float threshold = 0.0f;
    bool sweep = false;
    int threads = 1;
    CLI::Option* threshold_opt = nullptr;
    CLI::Option* out_opt = nullptr;
};

training::Checkpoint load_model(const std::string& path) {
    try {
        return training::load_checkpoint(path);
    } catch (const Error& e) {
        fail("--model: ", e.what());
    }
}

void check_inputs(const training::Checkpoint& m, const std::string& path, const Options& o, const data::TensorDataset& d) {
    check_usage(fits(m.input, d.image), "--model ", path, ": the model takes ", m.input.values(), " inputs, --data ",
                o.data, " has ", d.image.values());
}


std::string thousands(long n) {  // 235146 -> "235,146"
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
        out += digits[i];
    }
    return out;
}

std::string arch_of(const std::vector<Eigen::Index>& sizes) { return nn::MlpSpec{sizes}.arch(); }

std::string percent_of(long part, long whole) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f %%)", whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
    return buf;
}

std::string shortest(float x) {  // the fewest digits that read back as the same float: 0.05, not 0.0500000007
    char buf[32];
    for (int digits = 1; digits <= 9; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(x));
        if (std::strtof(buf, nullptr) == x) break;
    }
    return buf;
}

std::string fixed4(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", x);
    return buf;
}

void row(const std::string& name, const std::string& before, const std::string& after) {
    std::printf("| %-17s | %20s | %20s |\n", name.c_str(), before.c_str(), after.c_str());
}

int prune_one(const Options& o) {
    const std::string& path = o.models.front();
    check_usage(!fs::exists(o.out) || !fs::equivalent(o.out, path), "--out ", o.out,
                " is the --model file; write the pruned model to another file");
    const training::Checkpoint source = load_model(path);
    reading_flag("--data", [&] { data::check_dataset_name(o.data); });
    const data::Splits splits = data::load_dataset(o.data);
    const data::TensorDataset& test = splits.test;
    check_inputs(source, path, o, test);

    const nn::PrunedModel pruned = nn::prune(source.spec, *source.model, o.threshold);
    const double acc_before = training::evaluate(*source.model, test).accuracy;
    const double acc_after = training::evaluate(*pruned.model, test).accuracy;

    const std::string threshold = shortest(o.threshold);
    // The source's notes and where this model came from; not the source's run state, which
    // describes other weights.
    Metadata notes = source.notes;
    notes["pruned_from"] = path;
    notes["threshold"] = threshold;
    try {
        training::save_checkpoint(o.out, pruned.spec, *pruned.model, {}, notes);
    } catch (const Error& e) {
        fail("--out ", o.out, ": ", e.what());
    }

    const nn::PruneStats& s = pruned.stats;
    const long dense_after = nn::dense_flops(s.neurons_after) / 2;
    std::printf("pruned %s at threshold %s; %s, test split, %ld samples\n\n", path.c_str(), threshold.c_str(),
                o.data.c_str(), static_cast<long>(test.size()));
    row("", "before", "after");
    std::printf("|-------------------|---------------------:|---------------------:|\n");
    row("neurons per layer", arch_of(s.neurons_before), arch_of(s.neurons_after));
    // A conv net's layers before its dense part count as they are, before and after.
    const long params_before = s.fixed_params + s.params_before, params_after = s.fixed_params + s.params_after;
    const long flops_before = s.fixed_flops + s.flops_before, flops_after = s.fixed_flops + s.flops_after;
    row("parameters", thousands(params_before), thousands(params_after) + percent_of(params_after, params_before));
    row("FLOPs per sample", thousands(flops_before), thousands(flops_after) + percent_of(flops_after, flops_before));
    row("nonzero weights", thousands(s.nonzero_before) + " of " + thousands(s.weights_total),
        thousands(s.nonzero_after) + " of " + thousands(dense_after));
    row("test accuracy", fixed4(acc_before), fixed4(acc_after));
    std::printf("\n%s weights have |w| >= %s; %s of them belonged to removed neurons (constant ones are folded "
                "into the next layer's bias).\nwrote %s (arch %s)\n",
                thousands(s.kept).c_str(), threshold.c_str(), thousands(s.kept - s.nonzero_after).c_str(), o.out.c_str(),
                pruned.spec.arch.c_str());
    return 0;
}

// "runs/bean/best.safetensors" -> "bean/best"; the full paths when two names would be the same.
std::vector<std::string> short_names(const std::vector<std::string>& paths) {
    std::vector<std::string> names;
    for (const fs::path p : paths) {
        const std::string parent = p.parent_path().filename().string();
        names.push_back(parent.empty() ? p.stem().string() : parent + "/" + p.stem().string());
    }
    if (std::set<std::string>(names.begin(), names.end()).size() < names.size()) return paths;
    return names;
}

int run_sweep(const Options& o) {
    std::vector<training::Checkpoint> models;
    for (const std::string& path : o.models) models.push_back(load_model(path));
    reading_flag("--data", [&] { data::check_dataset_name(o.data); });
    const data::Splits splits = data::load_dataset(o.data);
    const data::TensorDataset& test = splits.test;
    for (size_t m = 0; m < models.size(); ++m) check_inputs(models[m], o.models[m], o, test);

    const std::vector<std::string> names = short_names(o.models);
    const std::vector<std::string> colors{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
    // accuracy[m][f] and the pruned architecture, for model m at sweep_fractions[f].
    std::vector<std::vector<double>> accuracy(models.size());
    std::vector<std::vector<nn::PruneStats>> stats(models.size());
    std::vector<analysis::Series> by_fraction, by_params;
    for (size_t m = 0; m < models.size(); ++m) {
        analysis::Series f{names[m], colors[m % colors.size()], {}, {}}, p = f;
        for (double fraction : sweep_fractions) {
            const float t = nn::threshold_for_fraction(*models[m].model, fraction);
            nn::PrunedModel pruned = nn::prune(models[m].spec, *models[m].model, t);
            accuracy[m].push_back(training::evaluate(*pruned.model, test).accuracy);
            stats[m].push_back(pruned.stats);
            f.x.push_back(std::log10(fraction)), f.y.push_back(accuracy[m].back());
            p.x.push_back(std::log10(static_cast<double>(pruned.stats.fixed_params + pruned.stats.params_after))), p.y.push_back(accuracy[m].back());
        }
        by_fraction.push_back(std::move(f));
        by_params.push_back(std::move(p));
    }

    auto header = [&](const char* first) {
        std::printf("| %s |", first);
        for (const std::string& n : names) std::printf(" %s |", n.c_str());
        std::printf("\n|---:|");
        for (size_t m = 0; m < names.size(); ++m) std::printf("---:|");
        std::printf("\n");
    };
    std::printf("Test accuracy on %s (%ld samples) after pruning to the largest fraction of weights by |w|\n\n",
                o.data.c_str(), static_cast<long>(test.size()));
    header("fraction kept");
    for (size_t f = 0; f < sweep_fractions.size(); ++f) {
        std::printf("| %g |", sweep_fractions[f]);
        for (size_t m = 0; m < models.size(); ++m) std::printf(" %.4f |", accuracy[m][f]);
        std::printf("\n");
    }
    std::printf("\nDense neurons per layer (parameters, conv layers included) after pruning\n\n");
    header("fraction kept");
    for (size_t f = 0; f < sweep_fractions.size(); ++f) {
        std::printf("| %g |", sweep_fractions[f]);
        for (size_t m = 0; m < models.size(); ++m)
            std::printf(" %s (%s) |", arch_of(stats[m][f].neurons_after).c_str(),
                        thousands(stats[m][f].fixed_params + stats[m][f].params_after).c_str());
        std::printf("\n");
    }

    try {
        write_file_atomic(o.plot, analysis::charts_svg({{"Test accuracy after pruning", "log10(fraction of weights kept)", by_fraction},
                                                        {"Test accuracy against pruned size", "log10(parameters after pruning)", by_params}}));
    } catch (const Error& e) {
        fail("--plot ", o.plot, ": ", e.what());
    }
    std::printf("\nwrote %s\n", o.plot.c_str());
    return 0;
}

}  // namespace

Command add_prune(CLI::App& app) {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "prune", "Zero the weights below a threshold and remove the neurons left without inputs or outputs");
    cmd->add_option("--model", o->models, "Checkpoint (.safetensors); repeat the flag to compare models with --sweep")
        ->required()
        ->check(CLI::ExistingFile);
    o->threshold_opt = cmd->add_option("--threshold", o->threshold, "Weights with |w| below it are zeroed (>= 0)")
                           ->check(non_negative);
    o->out_opt = cmd->add_option("--out", o->out, "Where to write the pruned checkpoint");
    cmd->add_option("--data", o->data, "fashion-mnist, mnist, csv:PATH, images:DIR or spirals (its test split)")
        ->capture_default_str();
    CLI::Option* sweep_flag = cmd->add_flag("--sweep", o->sweep,
                                       "Instead of --threshold/--out: test accuracy at fractions of weights kept "
                                       "1 ... 0.01, as a table and a plot");
    sweep_flag->excludes(o->threshold_opt)->excludes(o->out_opt);
    cmd->add_option("--plot", o->plot, "The --sweep plot (SVG)")->needs(sweep_flag)->capture_default_str();
    cmd->add_option("--threads", o->threads)->check(positive)->check(at_most(max_threads))->capture_default_str();
    return [o] {
        set_num_threads(o->threads);
        if (o->sweep) return run_sweep(*o);
        check_usage(o->models.size() == 1, "--model is given ", o->models.size(),
                    " times: prune takes one checkpoint (compare several with --sweep)");
        check_usage(o->threshold_opt->count() > 0, "--threshold is required (or --sweep)");
        check_usage(o->out_opt->count() > 0, "--out is required (or --sweep)");
        return prune_one(*o);
    };
}

}  // namespace hebb::app
