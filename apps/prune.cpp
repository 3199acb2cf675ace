// hebb prune: a sparse MLP, or a conv net's dense layers, become smaller dense ones that compute the
// same function once the weights below a threshold are zeroed (see layers/prune.h), saved as an
// ordinary checkpoint.
// --sweep: test accuracy, parameters and FLOPs as one or more models are pruned further and
// further, by weights and by neurons; models sharing a --label are seeds of one method.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "analysis/pictures.h"
#include "apps/commands.h"
#include "apps/progress.h"
#include "hebb.h"

namespace hebb::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Options {
    std::vector<std::string> models, labels;
    std::string out, data, baseline_label;
    float rel_threshold = 0.0f, abs_threshold = 0.0f;
    bool sweep = false;
    int threads = 1;
    CLI::Option* rel_opt = nullptr;
    CLI::Option* abs_opt = nullptr;
};

training::Checkpoint load_model(const std::string& path) {
    try {
        return training::load_checkpoint(path);
    } catch (const Error& e) {
        fail("--model: ", e.what());
    }
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

void row(const std::string& name, const std::string& before, const std::string& after) {
    std::printf("| %-17s | %20s | %20s |\n", name.c_str(), before.c_str(), after.c_str());
}

int prune_one(const Options& o) {
    const std::string& path = o.models.front();
    check_usage(!fs::exists(o.out) || !fs::equivalent(o.out, path), "--out ", o.out,
                " is the --model file; write the pruned model to another file");
    const training::Checkpoint source = load_model(path);
    const std::string name = data_for(source, path, o.data);
    reading_flag("--data", [&] { data::check_dataset_name(name); });
    const data::Splits splits = data::load_dataset(name);
    const data::TensorDataset& test = splits.test;
    check_fits(source, path, test, name);

    const bool relative = o.rel_opt->count() > 0;
    const float largest = nn::largest_dense_weight(*source.model);
    const float cut = relative ? o.rel_threshold * largest : o.abs_threshold;
    const nn::PrunedModel pruned = nn::prune(source.spec, *source.model, cut);
    const double acc_before = training::evaluate(*source.model, test).accuracy;
    const double acc_after = training::evaluate(*pruned.model, test).accuracy;

    const std::string threshold = relative ? shortest(o.rel_threshold) + " x the largest |w| (" + shortest(largest) +
                                                 ") = " + shortest(cut)
                                           : shortest(cut) + " (absolute)";
    // The source's notes and where this model came from; not the source's run state, which
    // describes other weights.
    Metadata notes = source.notes;
    notes["pruned_from"] = path;
    notes["abs_threshold"] = shortest(cut);
    try {
        training::save_checkpoint(o.out, pruned.spec, *pruned.model, {}, notes);
    } catch (const Error& e) {
        fail("--out ", o.out, ": ", e.what());
    }

    const nn::PruneStats& s = pruned.stats;
    const long dense_after = nn::dense_flops(s.neurons_after) / 2;
    std::printf("pruned %s at threshold %s; %s, test split, %ld samples\n\n", path.c_str(), threshold.c_str(),
                name.c_str(), static_cast<long>(test.size()));
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
    row("test accuracy", fixed(acc_before, 4), fixed(acc_after, 4));
    std::printf("\n%s weights have |w| >= %s; %s of them belonged to removed neurons (constant ones are folded "
                "into the next layer's bias).\nwrote %s (arch %s)\n",
                thousands(s.kept).c_str(), shortest(cut).c_str(), thousands(s.kept - s.nonzero_after).c_str(), o.out.c_str(),
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

// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string number(const char* format, double x) {
    char buf[48];
    std::snprintf(buf, sizeof buf, format, x);
    return buf;
}

// The two ways the sweep prunes, each at fractions 2^(-i/2), i = 0 .. points - 1: every point keeps
// about 1/sqrt(2) of the one before. Weights down to 2^-7.5 = 0.0055 of all dense weights; neurons
// down to 2^-5.5 = 0.022 of each hidden layer (3 neurons of a 120-wide layer, 2 of an 84-wide one).
struct Kind {
    std::string name;  // as the CSV and the JSON write it
    std::string what;  // what its fraction counts
    int points;
};
const std::array<Kind, 2> kinds{{
    {"weights", "the dense weights with the largest |w| (nn::prune then removes the neurons left without weights)", 16},
    {"neurons", "each hidden layer's neurons with the largest L2 norm of outgoing weights (nn::prune_neurons)", 12},
}};
double grid_fraction(size_t i) { return std::pow(2.0, -0.5 * static_cast<double>(i)); }

struct Point {  // one model pruned at one fraction
    std::string arch;        // the dense part after pruning, its input and output included
    long parameters, flops;  // conv layers included, as they are
    long nonzero;            // dense weights != 0
    double accuracy;         // test accuracy, a fraction
};

struct Mean {  // over one label's models at one fraction
    double accuracy = 0, low = INFINITY, high = -INFINITY;  // mean, least and greatest accuracy
    double parameters = 0, flops = 0, nonzero = 0;
    std::vector<std::string> archs;  // the distinct architectures
};

struct Sweep {
    std::vector<std::string> label_of_model;  // one per --model
    std::vector<std::string> labels;          // distinct, in the order first given
    std::vector<size_t> label_index;          // label_of_model[m] == labels[label_index[m]]
    std::vector<std::vector<std::vector<Point>>> points;  // [kind][model][i], fraction grid_fraction(i)
    std::vector<std::vector<std::vector<Mean>>> means;    // [kind][label][i]

    size_t models_of(size_t label) const {
        return static_cast<size_t>(std::count(label_index.begin(), label_index.end(), label));
    }
};

// means[label][i] over the models m of that label, from points[m][i].
std::vector<std::vector<Mean>> group(const std::vector<std::vector<Point>>& points, const Sweep& sweep) {
    std::vector<std::vector<Mean>> means(sweep.labels.size(), std::vector<Mean>(points.front().size()));
    for (size_t m = 0; m < points.size(); ++m)
        for (size_t i = 0; i < points[m].size(); ++i) {
            const Point& p = points[m][i];
            Mean& g = means[sweep.label_index[m]][i];
            g.accuracy += p.accuracy, g.parameters += static_cast<double>(p.parameters), g.flops += static_cast<double>(p.flops);
            g.nonzero += static_cast<double>(p.nonzero);
            g.low = std::min(g.low, p.accuracy), g.high = std::max(g.high, p.accuracy);
            if (std::find(g.archs.begin(), g.archs.end(), p.arch) == g.archs.end()) g.archs.push_back(p.arch);
        }
    for (size_t l = 0; l < means.size(); ++l) {
        const auto n = static_cast<double>(sweep.models_of(l));
        for (Mean& g : means[l]) g.accuracy /= n, g.parameters /= n, g.flops /= n, g.nonzero /= n;
    }
    return means;
}

void print_tables(const Sweep& sweep, const std::string& data, long samples) {
    const auto header = [&] {
        std::printf("| fraction kept |");
        for (const std::string& l : sweep.labels) std::printf(" %s |", l.c_str());
        std::printf("\n|---:|");
        for (size_t l = 0; l < sweep.labels.size(); ++l) std::printf("---:|");
        std::printf("\n");
    };
    // One table of the means at each fraction of kind k, a cell written by cell(label, mean).
    const auto table = [&](size_t k, const auto& cell) {
        header();
        for (size_t i = 0; i < sweep.means[k].front().size(); ++i) {
            std::printf("| %.3g |", grid_fraction(i));
            for (size_t l = 0; l < sweep.labels.size(); ++l) std::printf(" %s |", cell(l, sweep.means[k][l][i]).c_str());
            std::printf("\n");
        }
    };
    for (size_t k = 0; k < kinds.size(); ++k) {
        std::printf("%sPruning %s: keeping a fraction of %s.\n\nTest accuracy (%%) on %s (%ld samples): the mean over "
                    "a label's models, [least, greatest] when it has several\n\n",
                    k ? "\n" : "", kinds[k].name.c_str(), kinds[k].what.c_str(), data.c_str(), samples);
        table(k, [&](size_t l, const Mean& g) {
            return number("%.2f", 100 * g.accuracy) +
                   (sweep.models_of(l) > 1 ? number(" [%.2f, ", 100 * g.low) + number("%.2f]", 100 * g.high) : "");
        });
        std::printf("\nMean parameters / FLOPs per sample (conv layers included) and the dense architectures\n\n");
        table(k, [&](size_t, const Mean& g) {
            std::string archs;
            for (const std::string& a : g.archs) archs += (archs.empty() ? "" : " / ") + a;
            return thousands(std::lround(g.parameters)) + " / " + thousands(std::lround(g.flops)) + ": " + archs;
        });
    }
}

// How close to the baseline's unpruned accuracy counts as no loss: 0.5 percentage points.
constexpr double tolerance = 0.005;

// The point with the fewest mean parameters (or FLOPs, or nonzero dense weights) among those whose mean accuracy is at least
// `target` (less 1e-9, so that exactly 0.5 points below counts whatever the rounding); the larger
// fraction on a tie; none when no point reaches it.
std::optional<size_t> smallest(const std::vector<Mean>& means, double target, double Mean::*size) {
    std::optional<size_t> best;
    for (size_t i = 0; i < means.size(); ++i)
        if (means[i].accuracy >= target - 1e-9 && (!best || means[i].*size < means[*best].*size)) best = i;
    return best;
}

// Per label and kind, the smallest model within `tolerance` of the baseline label's unpruned mean
// accuracy (its models' at fraction 1, where nothing is pruned), by parameters, by FLOPs and by nonzero
// dense weights (what a sparse format stores).
Json smallest_models(const Sweep& sweep, size_t baseline, const std::string& data) {
    const double base = sweep.means[0][baseline][0].accuracy;
    Json summary{{"data", data}, {"baseline_label", sweep.labels[baseline]}, {"baseline_accuracy", base},
                 {"tolerance", tolerance}, {"smallest", Json::array()}};
    for (size_t l = 0; l < sweep.labels.size(); ++l)
        for (size_t k = 0; k < kinds.size(); ++k) {
            const std::vector<Mean>& g = sweep.means[k][l];
            Json entry{{"label", sweep.labels[l]}, {"kind", kinds[k].name}};
            for (const auto& [key, size] : {std::pair{"fewest_parameters", &Mean::parameters}, std::pair{"fewest_flops", &Mean::flops},
                                            std::pair{"fewest_nonzero_weights", &Mean::nonzero}}) {
                const std::optional<size_t> i = smallest(g, base - tolerance, size);
                entry[key] = i ? Json{{"fraction", grid_fraction(*i)}, {"parameters", g[*i].parameters},
                                      {"flops", g[*i].flops}, {"nonzero_weights", g[*i].nonzero}, {"accuracy", g[*i].accuracy},
                                      {"of_unpruned", g[*i].*size / g[0].*size}}
                               : Json();
            }
            summary["smallest"].push_back(entry);
        }
    return summary;
}

void print_smallest(const Json& summary) {
    const double base = summary["baseline_accuracy"];
    std::printf("The smallest model whose mean accuracy is within 0.5 points of %s unpruned (%.2f %%, so at least "
                "%.2f %%), by the mean over each label's models\n\n| label | pruning | fewest parameters | fewest FLOPs "
                "per sample | fewest nonzero dense weights |\n|---|---|---:|---:|---:|\n",
                summary["baseline_label"].get<std::string>().c_str(), 100 * base, 100 * (base - tolerance));
    for (const Json& e : summary["smallest"]) {
        std::printf("| %s | %s |", e["label"].get<std::string>().c_str(), e["kind"].get<std::string>().c_str());
        for (const auto& [key, size] : {std::pair{"fewest_parameters", "parameters"}, std::pair{"fewest_flops", "flops"},
                                        std::pair{"fewest_nonzero_weights", "nonzero_weights"}}) {
            const Json& p = e[key];
            if (p.is_null()) {
                std::printf(" none within 0.5 points |");
                continue;
            }
            std::printf(" %s (%.1f %% of unpruned) at %.3g, %.2f %% |", thousands(std::lround(p[size].get<double>())).c_str(),
                        100 * p["of_unpruned"].get<double>(), p["fraction"].get<double>(), 100 * p["accuracy"].get<double>());
        }
        std::printf("\n");
    }
}

std::string sweep_csv(const Sweep& sweep, const std::vector<std::string>& paths) {
    std::string csv = "kind,fraction,model,label,arch,parameters,nonzero_dense_weights,flops,accuracy\n";
    for (size_t k = 0; k < kinds.size(); ++k)
        for (size_t m = 0; m < paths.size(); ++m)
            for (size_t i = 0; i < sweep.points[k][m].size(); ++i) {
                const Point& p = sweep.points[k][m][i];
                csv += kinds[k].name + number(",%.6g,", grid_fraction(i)) + csv_field(paths[m]) + "," +
                       csv_field(sweep.label_of_model[m]) + "," + p.arch + "," + std::to_string(p.parameters) + "," +
                       std::to_string(p.nonzero) + "," + std::to_string(p.flops) + number(",%.10g\n", p.accuracy);
            }
    return csv;
}

// Per kind, accuracy against parameters and against FLOPs: each label's means, its range as bars.
std::string sweep_svg(const Sweep& sweep, const std::string& data) {
    const std::vector<std::string> colors{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    std::vector<analysis::Chart> charts;
    for (size_t k = 0; k < kinds.size(); ++k)
        for (const auto& [x_label, size] : {std::pair{"parameters", &Mean::parameters}, std::pair{"FLOPs per sample", &Mean::flops}}) {
            analysis::Chart chart{data + ": pruning " + kinds[k].name, x_label, {}, "test accuracy (%)", true};
            for (size_t l = 0; l < sweep.labels.size(); ++l) {
                analysis::Series s{sweep.labels[l], colors[l % colors.size()], {}, {}};
                for (const Mean& g : sweep.means[k][l]) {
                    s.x.push_back(g.*size), s.y.push_back(100 * g.accuracy);
                    s.y_low.push_back(100 * g.low), s.y_high.push_back(100 * g.high);
                }
                chart.series.push_back(std::move(s));
            }
            charts.push_back(std::move(chart));
        }
    return analysis::charts_svg(charts, 2);
}

void write_or_fail(const std::string& flag, const std::string& path, const std::string& text) {
    try {
        write_file_atomic(path, text);
    } catch (const Error& e) {
        fail(flag, " ", path, ": ", e.what());
    }
}

int run_sweep(const Options& o) {
    check_usage(o.labels.empty() || o.labels.size() == o.models.size(), "--label and --model come in pairs: ",
                o.labels.size(), " --label, ", o.models.size(), " --model; give one --label per --model, in the same ",
                "order (models sharing a label are seeds of one method), or none");
    Sweep sweep;
    sweep.label_of_model = o.labels.empty() ? short_names(o.models) : o.labels;
    for (const std::string& l : sweep.label_of_model) {
        const auto at = std::find(sweep.labels.begin(), sweep.labels.end(), l);
        sweep.label_index.push_back(static_cast<size_t>(at - sweep.labels.begin()));
        if (at == sweep.labels.end()) sweep.labels.push_back(l);
    }
    std::optional<size_t> baseline;
    if (!o.baseline_label.empty()) {
        const auto at = std::find(sweep.labels.begin(), sweep.labels.end(), o.baseline_label);
        std::string names;
        for (const std::string& l : sweep.labels) names += (names.empty() ? "" : ", ") + l;
        check_usage(at != sweep.labels.end(), "--baseline-label ", o.baseline_label,
                    ": no model has that label; the labels are ", names);
        baseline = static_cast<size_t>(at - sweep.labels.begin());
    }

    std::vector<training::Checkpoint> models;
    for (const std::string& path : o.models) models.push_back(load_model(path));
    const std::string name = data_for(models.front(), o.models.front(), o.data);
    for (size_t m = 1; m < models.size(); ++m) {
        const auto first = models.front().notes.find("data"), other = models[m].notes.find("data");
        check_usage(!o.data.empty() || other == models[m].notes.end() || other->second == first->second, "--model ",
                    o.models[m], " was trained on ", other->second, ", ", o.models.front(), " on ", first->second,
                    "; give --data to test them all on one dataset");
    }
    reading_flag("--data", [&] { data::check_dataset_name(name); });
    if (!o.out.empty()) reading_flag("--out", [&] { prepare_output_folder(o.out, "--out"); });
    const data::Splits splits = data::load_dataset(name);
    const data::TensorDataset& test = splits.test;
    for (size_t m = 0; m < models.size(); ++m) check_fits(models[m], o.models[m], test, name);

    Progress progress(static_cast<long>(models.size()) * (kinds[0].points + kinds[1].points));
    long done = 0;
    for (size_t k = 0; k < kinds.size(); ++k) {
        sweep.points.emplace_back(models.size());
        for (size_t m = 0; m < models.size(); ++m)
            for (size_t i = 0; i < static_cast<size_t>(kinds[k].points); ++i) {
                const double f = grid_fraction(i);
                const training::Checkpoint& c = models[m];
                const nn::PrunedModel pruned = k == 0 ? nn::prune(c.spec, *c.model, nn::threshold_for_fraction(*c.model, f))
                                                      : nn::prune_neurons(c.spec, *c.model, f);
                const nn::PruneStats& s = pruned.stats;
                sweep.points[k][m].push_back({arch_of(s.neurons_after), s.fixed_params + s.params_after,
                                              s.fixed_flops + s.flops_after, s.nonzero_after,
                                              training::evaluate(*pruned.model, test).accuracy});
                progress.update(++done, kinds[k].name + " " + sweep.label_of_model[m],
                                i + 1 == static_cast<size_t>(kinds[k].points));
            }
        sweep.means.push_back(group(sweep.points[k], sweep));
    }
    progress.clear();

    print_tables(sweep, name, static_cast<long>(test.size()));
    std::printf("\n");
    std::optional<Json> summary;
    if (baseline) {
        summary = smallest_models(sweep, *baseline, name);
        print_smallest(*summary);
        std::printf("\n");
    }
    if (!o.out.empty()) {
        const fs::path out = o.out;
        write_or_fail("--out", (out / "sweep.csv").string(), sweep_csv(sweep, o.models));
        write_or_fail("--out", (out / "sweep.svg").string(), sweep_svg(sweep, name));
        if (summary) write_or_fail("--out", (out / "sweep.json").string(), summary->dump(2) + "\n");
        std::printf("wrote %s: sweep.csv, sweep.svg%s\n", o.out.c_str(), summary ? ", sweep.json" : "");
    }
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
    o->rel_opt = cmd->add_option("--rel-threshold", o->rel_threshold,
                                 "Zero the dense weights with |w| below this fraction of the largest |w| of all of them "
                                 "(in [0, 1]; hebb inspect reports the share below 1e-3)")
                     ->check(in_range(0.0, 1.0));
    o->abs_opt = cmd->add_option("--abs-threshold", o->abs_threshold, "Zero the dense weights with |w| below this value (>= 0)")
                     ->check(non_negative)->excludes(o->rel_opt);
    cmd->add_option("--out", o->out, "The pruned checkpoint's file; with --sweep a folder for sweep.csv (every point: kind, "
                    "fraction, model, label, arch, parameters, nonzero_dense_weights, flops, accuracy as a fraction), "
                    "sweep.svg (accuracy against parameters and FLOPs) and with --baseline-label sweep.json "
                    "(default with --sweep: print only)");
    cmd->add_option("--data", o->data, data_of_model_help);
    CLI::Option* sweep_flag = cmd->add_flag("--sweep", o->sweep,
                                       "Instead of a threshold: prune each --model keeping fractions 1, 0.71, "
                                       "0.5, ... (2^(-i/2)) of its dense weights (down to 0.0055) and of each hidden "
                                       "layer's neurons (down to 0.022); print test accuracy, parameters and FLOPs. "
                                       "About 1 s per model on 784-256-128-10 and MNIST's 10,000 test images");
    sweep_flag->excludes(o->rel_opt)->excludes(o->abs_opt);
    cmd->add_option("--label", o->labels,
                    "With --sweep: a name per --model, in the same order; models sharing one are seeds of one method, "
                    "shown as their mean and range (default: each model's folder/stem)")
        ->needs(sweep_flag);
    cmd->add_option("--baseline-label", o->baseline_label,
                    "With --sweep: also find, per label and pruning, the smallest model (by parameters, by FLOPs and by "
                    "nonzero dense weights) whose mean accuracy is within 0.5 points of this label's unpruned mean; "
                    "printed, and with --out written to sweep.json")
        ->needs(sweep_flag);
    cmd->add_option("--threads", o->threads, "Threads for the products and ops")->check(positive)->check(at_most(max_threads))->capture_default_str();
    return [o] {
        set_num_threads(o->threads);
        if (o->sweep) return run_sweep(*o);
        check_usage(o->models.size() == 1, "--model is given ", o->models.size(),
                    " times: prune takes one checkpoint (compare several with --sweep)");
        check_usage(o->rel_opt->count() + o->abs_opt->count() > 0, "--rel-threshold or --abs-threshold is required "
                    "(or --sweep)");
        check_usage(!o->out.empty(), "--out is required: the pruned checkpoint's file (or --sweep)");
        return prune_one(*o);
    };
}

}  // namespace hebb::app
