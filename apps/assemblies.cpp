// hebb assemblies: what BEAN did to a trained model. For each covered dense layer: the assemblies
// of its structural graph (spectral clustering, k from the eigengap; k = 1 is "no structure"), their
// modularity, how class-pure and selective they are on the test split, two views that do not
// restate the weights (the functional graph's own assemblies, and for the layer feeding the logits
// the readout agreement), labelled SVG heatmaps of the structural and functional graphs reordered
// by assembly, and mean input images per assembly; optionally side by side with a baseline model
// (alpha = 0). The numbers come from hebb::analysis (analysis/assemblies.h).
#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analysis/assemblies.h"
#include "analysis/pictures.h"
#include "apps/commands.h"
#include "apps/progress.h"
#include "apps/report.h"
#include "hebb.h"

namespace hebb::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Index = Eigen::Index;

struct Options {
    std::string model, data, out, baseline, layers = "hidden";
    int order = 1;
    double gamma = 1.0;
    int k = 0;
    int threads = 1;
};

// The dotted name of a Linear's weight in the model's state_dict ("2.weight").
std::string weight_name(const nn::Module& model, const nn::Linear& linear) {
    for (const auto& [name, t] : model.named_parameters())
        if (t.node() == linear.weight.node()) return name;
    return "?";
}

// ---- one model ----------------------------------------------------------------------------------

struct LayerResult {
    size_t linear;  // index among the Linear layers; the neurons are those of layer `linear`
    std::string weight_name;
    Index targets;
    analysis::LayerAnalysis a;
    std::vector<std::string> pictures;
};

struct ModelResult {
    std::string path, arch;
    double accuracy;
    std::vector<LayerResult> layers;
};

std::string layer_name(size_t linear) { return "layer" + std::to_string(linear); }

std::string class_name(int c, const std::vector<std::string>& names) {
    if (c < 0) return "-";
    return static_cast<size_t>(c) < names.size() ? std::to_string(c) + " " + names[static_cast<size_t>(c)]
                                                  : std::to_string(c);
}

// "no assembly structure" when clustering found one assembly (or none: every neuron isolated).
std::string structure_word(const analysis::Partition& p) { return p.k > 1 ? "assemblies" : "none"; }

// The model file as a reader would name it: its folder and file name ("fm/best.safetensors").
std::string short_name(const std::string& path) {
    const fs::path p(path);
    return p.has_parent_path() && p.parent_path().has_filename() ? (p.parent_path().filename() / p.filename()).string()
                                                                  : p.filename().string();
}

// The structural and functional heatmaps of one layer as labelled SVG documents, by file name.
std::vector<std::pair<std::string, std::string>> heatmaps(const LayerResult& r, const std::string& model_path,
                                                          const Options& o, const data::TensorDataset& test,
                                                          const std::string& base) {
    const analysis::LayerAnalysis& a = r.a;
    const std::vector<int> order = a.order();
    const std::vector<size_t> blocks = a.block_sizes();
    analysis::HeatmapLabels labels;
    labels.marked = a.dead();
    for (size_t i = 0; i < a.assemblies.size(); ++i)
        labels.block_labels.push_back("A" + std::to_string(i) + " (" + std::to_string(a.assemblies[i].neurons.size()) +
                                      "): " + class_name(a.assemblies[i].dominant_class, test.class_names));
    if (!a.partition.unassigned.empty())
        labels.block_labels.push_back("unassigned (" + std::to_string(a.partition.unassigned.size()) + ")");
    const std::string head = short_name(model_path) + ", " + layer_name(r.linear) + ": " +
                             std::to_string(a.partition.labels.size()) + " neurons → " + std::to_string(r.targets);
    const std::string sorted = "; neurons ordered by structural assembly, k = " + std::to_string(a.partition.k) +
                               (a.has_structure() ? "" : " (no assembly structure)");
    std::ostringstream gamma;
    gamma << o.gamma;
    labels.title = head + " (structural)";
    labels.subtitle = (o.order == 1 ? "structural graph C = A Aᵀ" : "structural graph C = (A Aᵀ)∘(A Aᵀ), order 2") +
                      std::string(", A = |tanh(") + gamma.str() + " W)|" + sorted;
    labels.scale_label = "C, 0 to its 99th percentile (off-diagonal)";
    double hi = analysis::off_diagonal_quantile(a.structural, 0.99);
    if (!(hi > 0)) hi = 1.0;
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back(base + "_structural.svg",
                     analysis::heatmap_svg(a.structural, order, blocks, 0.0, hi, analysis::viridis, labels));
    labels.title = head + " (functional)";
    labels.subtitle = "activation correlation r over the " + std::to_string(test.size()) + " " + o.data +
                     " test samples" + sorted;
    labels.scale_label = "Pearson r";
    labels.line = "black";
    out.emplace_back(base + "_functional.svg",
                     analysis::heatmap_svg(a.functional, order, blocks, -1.0, 1.0, analysis::coolwarm, labels));
    return out;
}

// Analyses every covered layer of one model and writes its pictures (file names start with prefix).
ModelResult analyse_model(const std::string& path, const training::Checkpoint& loaded, const data::TensorDataset& test,
                          const std::vector<size_t>& which, const Options& o, const fs::path& out,
                          const std::string& prefix, Progress& progress, long& done) {
    ModelResult m{path, loaded.spec.arch, training::evaluate(*loaded.model, test).accuracy, {}};
    const std::vector<const nn::Linear*> linears = nn::linear_layers(*loaded.model);
    const std::vector<Matrix> inputs = analysis::layer_inputs(*loaded.model, test.features(), which);
    for (size_t i = 0; i < which.size(); ++i) {
        const nn::Linear& lin = *linears[which[i]];
        // The last Linear's outputs are the class logits: its input neurons are read out directly.
        const analysis::LayerOptions lo{.order = o.order, .gamma = o.gamma, .spectral = {.k = o.k},
                                        .feeds_output = which[i] + 1 == linears.size()};
        LayerResult r{which[i], weight_name(*loaded.model, lin), lin.weight.rows(),
                      analysis::analyze_layer(lin.weight.value(), inputs[i], test.labels, test.classes, lo), {}};
        const std::string base = prefix + layer_name(which[i]);
        for (const auto& [file, svg] : heatmaps(r, path, o, test, base)) {
            write_file_atomic((out / file).string(), svg);
            r.pictures.push_back(file);
        }
        // The first hidden layer (input of Linear 1): what each assembly's favourite inputs look like.
        if (which[i] == 1 && test.dim() == 28 * 28 && !r.a.assemblies.empty()) {
            const auto means = analysis::assembly_mean_inputs(r.a, inputs[i], test.features(), 100);
            const std::string file = base + "_mean_images.png";
            write_file_atomic((out / file).string(), analysis::encode_png(analysis::image_grid(means, 28)));
            r.pictures.push_back(file);
        }
        m.layers.push_back(std::move(r));
        progress.update(++done, path + " " + layer_name(which[i]), true);
    }
    return m;
}

Json layer_json(const LayerResult& r, bool k_forced) {
    const analysis::LayerAnalysis& a = r.a;
    Json assemblies = Json::array(), neurons = Json::array();
    for (size_t i = 0; i < a.assemblies.size(); ++i) {
        const analysis::Assembly& as = a.assemblies[i];
        assemblies.push_back({{"id", i}, {"size", as.neurons.size()}, {"dominant_class", as.dominant_class},
                              {"purity", as.purity}, {"selectivity", as.selectivity}, {"neurons", as.neurons}});
    }
    for (size_t i = 0; i < a.partition.labels.size(); ++i)
        neurons.push_back({{"preferred_class", a.selectivity.preferred[i]}, {"selectivity", a.selectivity.index[i]},
                           {"assembly", a.partition.labels[i]}});
    const analysis::Clustering& f = a.functional_assemblies;
    const Json functional = {{"structure", structure_word(f.partition)}, {"k", f.partition.k},
                             {"eigengap", f.partition.eigengap}, {"modularity", f.modularity},
                             {"mean_purity", f.mean_purity}, {"chance_purity", f.chance_purity},
                             {"unassigned", f.partition.unassigned.size()}};
    return {{"layer", layer_name(r.linear)}, {"linear", r.linear}, {"weight", r.weight_name},
            {"n_neurons", a.partition.labels.size()}, {"targets", r.targets}, {"k", a.partition.k},
            {"structure", structure_word(a.partition)}, {"k_forced", k_forced}, {"eigengap", a.partition.eigengap},
            {"eigenvalues", a.partition.eigenvalues},
            {"readout_agreement", a.readout ? Json(a.readout->agreement) : Json()},
            {"readout_agreement_chance", a.readout ? Json(a.readout->chance) : Json()},
            {"functional", functional},
            {"modularity", a.modularity}, {"mean_purity", a.mean_purity}, {"chance_purity", a.chance_purity},
            {"mean_selectivity", a.mean_selectivity}, {"correlation_within", a.cohesion.within},
            {"correlation_between", a.cohesion.between}, {"small_weight_fraction", a.small_weights},
            {"unassigned", a.partition.unassigned}, {"assemblies", assemblies}, {"neurons", neurons},
            {"pictures", r.pictures}};
}

Json model_json(const ModelResult& m, bool k_forced) {
    Json layers = Json::array();
    for (const LayerResult& r : m.layers) layers.push_back(layer_json(r, k_forced));
    return {{"model", m.path}, {"arch", m.arch}, {"accuracy", m.accuracy}, {"layers", layers}};
}

// "k = 3 (eigengap 0.412)" or "k = 1: no assembly structure (eigengap 0.871)".
std::string k_text(const analysis::Partition& p) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(3);
    out << "k = " << p.k << (p.k > 1 ? "" : ": no assembly structure") << " (eigengap " << p.eigengap << ")";
    return out.str();
}

std::string markdown(const ModelResult& m, const ModelResult* baseline, const Options& o,
                     const data::TensorDataset& test) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(3);
    out << "# Assemblies of " << m.path << "\n\n"
        << "Model " << m.arch << ", test accuracy " << 100 * m.accuracy << " %. Activations: " << o.data
        << ", test split (" << test.size() << " samples). Structural graph C = "
        << (o.order == 1 ? "A A^T" : "(A A^T)∘(A A^T)") << " with A = |tanh(" << o.gamma
        << " W)|; assemblies by spectral clustering of C, "
        << (o.k > 0 ? "k = " + std::to_string(o.k) + " forced by --k"
                    : std::string("k = 1 .. 20 from the largest eigengap; k = 1 means no assembly structure"))
        << ". layerL is the neuron set of layer L (0 = the input), the input of Linear L.\n\n"
        << "Purity is size-weighted (the fraction of assigned neurons preferring their assembly's "
           "dominant class); \"chance\" is the same with the preferred classes shuffled. Selectivity "
           "(mu_max - mu_rest) / (mu_max + mu_rest) is averaged over all neurons. A neuron whose class "
           "means are all equal (silent) has no preferred class (-).\n\n"
        << "Two views that do not restate the weights: functional assemblies cluster the activation "
           "correlations alone (affinity max(r, 0), diagonal zeroed; k always from the eigengap), and for the "
           "layer that feeds the logits, whose C is built from the class weights, the readout agreement is the "
           "share of neurons with a preferred class whose strongest outgoing weight by magnitude (as C sees it) "
           "goes to that class "
           "(chance: the same with the preferred classes shuffled).\n";
    for (const LayerResult& r : m.layers) {
        const analysis::LayerAnalysis& a = r.a;
        const analysis::Clustering& f = a.functional_assemblies;
        out << "\n## " << layer_name(r.linear) << ": " << a.partition.labels.size() << " neurons -> " << r.targets
            << " (" << r.weight_name << ")\n\n"
            << "Structural: " << k_text(a.partition) << ", modularity Q = " << a.modularity
            << ". Mean purity " << a.mean_purity << " (chance " << a.chance_purity << "), mean selectivity "
            << a.mean_selectivity << ". Mean activation correlation within assemblies " << a.cohesion.within
            << ", between " << a.cohesion.between << ". " << 100 * a.small_weights
            << " % of the weights are below 1e-3 of the largest. Unassigned (isolated: no outgoing weight) neurons: "
            << a.partition.unassigned.size() << ".\n\n";
        if (a.readout)
            out << "Readout agreement: " << 100 * a.readout->agreement << " % of the " << a.readout->neurons
                << " neurons with a preferred class send their strongest weight to it (chance "
                << 100 * a.readout->chance << " %); this layer feeds the logits.\n\n";
        out << "Functional (activation correlations only): " << k_text(f.partition) << ", modularity Q = "
            << f.modularity << ", mean purity " << f.mean_purity << " (chance " << f.chance_purity << "), "
            << f.partition.unassigned.size() << " unassigned.\n\n"
            << "| assembly | size | dominant class | purity | mean selectivity |\n|---|---|---|---|---|\n";
        for (size_t i = 0; i < a.assemblies.size(); ++i) {
            const analysis::Assembly& as = a.assemblies[i];
            out << "| " << i << " | " << as.neurons.size() << " | " << class_name(as.dominant_class, test.class_names)
                << " | " << as.purity << " | " << as.selectivity << " |\n";
        }
        out << "\nPictures (neurons reordered by structural assembly, lines between assemblies, unassigned last, "
               "dead/silent neurons marked red on the left): `"
            << r.pictures[0] << "` (C from 0 to its 99th percentile, viridis), `" << r.pictures[1]
            << "` (activation correlation, -1 blue, 0 grey, +1 red)";
        if (r.pictures.size() > 2)
            out << ", `" << r.pictures[2] << "` (per assembly, in table order: the mean input of the 100 test "
                << "samples that drive its neurons hardest)";
        out << ".\n";
    }
    if (baseline) {
        out << "\n## Model and baseline\n\nBaseline " << baseline->path << " (" << baseline->arch << "), test accuracy "
            << 100 * baseline->accuracy << " %.\n\n| layer | measure | model | baseline |\n|---|---|---|---|\n";
        const auto pair = [](double value, double chance) {
            std::ostringstream s;
            s.setf(std::ios::fixed);
            s.precision(3);
            s << value << " (" << chance << ")";
            return s.str();
        };
        for (size_t i = 0; i < m.layers.size(); ++i) {
            const analysis::LayerAnalysis &a = m.layers[i].a, &b = baseline->layers[i].a;
            const analysis::Clustering &fa = a.functional_assemblies, &fb = b.functional_assemblies;
            const std::string l = "| " + layer_name(m.layers[i].linear) + " | ";
            out << l << "assemblies k | " << a.partition.k << " (" << structure_word(a.partition) << ") | "
                << b.partition.k << " (" << structure_word(b.partition) << ") |\n"
                << l << "modularity Q | " << a.modularity << " | " << b.modularity << " |\n"
                << l << "mean purity (chance) | " << pair(a.mean_purity, a.chance_purity) << " | "
                << pair(b.mean_purity, b.chance_purity) << " |\n";
            if (a.readout && b.readout)
                out << l << "readout agreement (chance) | " << pair(a.readout->agreement, a.readout->chance) << " | "
                    << pair(b.readout->agreement, b.readout->chance) << " |\n";
            out << l << "functional k | " << fa.partition.k << " (" << structure_word(fa.partition) << ") | "
                << fb.partition.k << " (" << structure_word(fb.partition) << ") |\n"
                << l << "functional Q | " << fa.modularity << " | " << fb.modularity << " |\n"
                << l << "functional purity (chance) | " << pair(fa.mean_purity, fa.chance_purity) << " | "
                << pair(fb.mean_purity, fb.chance_purity) << " |\n"
                << l << "mean selectivity | " << a.mean_selectivity << " | " << b.mean_selectivity << " |\n"
                << l << "fraction of weights below 1e-3 max | " << a.small_weights << " | " << b.small_weights << " |\n";
        }
        out << "| all | test accuracy | " << m.accuracy << " | " << baseline->accuracy << " |\n"
            << "\nThe baseline's pictures are the `baseline_*.svg` files.\n";
    }
    return out.str();
}

void print_summary(const ModelResult& m, const char* label) {
    std::printf("%s %s (%s), test accuracy %.4f\n", label, m.path.c_str(), m.arch.c_str(), m.accuracy);
    for (const LayerResult& r : m.layers) {
        const analysis::LayerAnalysis& a = r.a;
        const analysis::Clustering& f = a.functional_assemblies;
        std::printf("  %-7s %4zu neurons  %s  Q %.3f  purity %.3f (chance %.3f)  selectivity %.3f"
                    "  small weights %.1f%%\n",
                    layer_name(r.linear).c_str(), a.partition.labels.size(), k_text(a.partition).c_str(), a.modularity,
                    a.mean_purity, a.chance_purity, a.mean_selectivity, 100 * a.small_weights);
        std::printf("          functional %s  Q %.3f  purity %.3f (chance %.3f)", k_text(f.partition).c_str(),
                    f.modularity, f.mean_purity, f.chance_purity);
        if (a.readout) std::printf("  readout agreement %.3f (chance %.3f)", a.readout->agreement, a.readout->chance);
        std::printf("\n");
    }
}

int run(Options o) {
    set_num_threads(o.threads);
    // Everything that can be refused is checked before any work.
    const training::Checkpoint model = training::load_checkpoint(o.model);
    const std::vector<const nn::Linear*> linears = nn::linear_layers(*model.model);
    const std::vector<size_t> which = reading_flag("--layers", [&] { return nn::select_linear_layers(o.layers, *model.model); });
    for (size_t l : which)
        check_usage(o.k <= linears[l]->weight.cols(), "--k ", o.k, ": ", layer_name(l), " has only ",
                    linears[l]->weight.cols(), " neurons");
    std::optional<training::Checkpoint> baseline;
    if (!o.baseline.empty()) {
        baseline = training::load_checkpoint(o.baseline);
        check_usage(baseline->spec.arch == model.spec.arch, "--baseline ", o.baseline, ": its arch ",
                    baseline->spec.arch, " is not the model's ", model.spec.arch);
    }
    o.data = data_for(model, o.model, o.data);
    reading_flag("--data", [&] { data::check_dataset_name(o.data); });
    const fs::path out = o.out.empty() ? training::RunFiles(fs::path(o.model).parent_path()).assemblies() : fs::path(o.out);
    prepare_output_folder(out.string(), "--out");
    const data::TensorDataset test = data::load_dataset(o.data).test;
    check_fits(model, o.model, test, o.data);
    if (baseline) check_fits(*baseline, o.baseline, test, o.data);

    Progress progress(static_cast<long>(which.size()) * (baseline ? 2 : 1));  // a line per layer analysed
    long done = 0;
    const ModelResult m = analyse_model(o.model, model, test, which, o, out, "", progress, done);
    std::optional<ModelResult> b;
    if (baseline) b = analyse_model(o.baseline, *baseline, test, which, o, out, "baseline_", progress, done);
    progress.clear();

    Json j = {{"data", o.data}, {"split", "test"}, {"samples", test.size()}, {"order", o.order}, {"gamma", o.gamma},
              {"class_names", test.class_names}};
    j.update(model_json(m, o.k > 0));
    if (b) j["baseline"] = model_json(*b, o.k > 0);
    write_file_atomic((out / "assemblies.json").string(), j.dump(1) + "\n");
    write_file_atomic((out / "assemblies.md").string(), markdown(m, b ? &*b : nullptr, o, test));

    print_summary(m, "model   ");
    if (b) print_summary(*b, "baseline");
    size_t pictures = 0;
    for (const ModelResult* r : std::array<const ModelResult*, 2>{&m, b ? &*b : nullptr})
        if (r)
            for (const LayerResult& l : r->layers) pictures += l.pictures.size();
    // In a finished training run's assemblies/ folder, the run's report shows the pictures.
    fs::path folder = out.lexically_normal();
    if (!folder.has_filename()) folder = folder.parent_path();  // "runs/fm/assemblies/"
    const training::RunFiles run{folder.has_parent_path() ? folder.parent_path() : "."};
    std::string report;
    if (folder.filename() == run.assemblies().filename() && is_finished_run(run.path())) {
        write_report(run.path());
        report = "; rewrote " + run.report_md().string() + " and " + run.report_html().filename().string() + " with them";
    }
    std::printf("wrote %s: assemblies.json, assemblies.md and %zu pictures%s\n", out.string().c_str(), pictures,
                report.c_str());
    return 0;
}

}  // namespace

Command add_assemblies(CLI::App& app) {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("assemblies", "Find the neuronal assemblies of a trained model and picture them");
    cmd->add_option("--model", o->model, "Checkpoint (.safetensors)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--data", o->data, std::string(data_of_model_help) + "; its test split");
    cmd->add_option("--out", o->out, "Folder for assemblies.json, assemblies.md and the pictures (default: "
                    "assemblies/ beside --model; in a finished training run, its report then shows them)");
    cmd->add_option("--baseline", o->baseline, "A checkpoint of the same arch to compare with (e.g. alpha = 0)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--order", o->order, "Structural graph: 1 for A A^T (BEAN-1), 2 for its Hadamard square (BEAN-2)")
        ->check(CLI::Range(1, 2))->capture_default_str();
    cmd->add_option("--gamma", o->gamma, "tanh scale in A = |tanh(gamma W)|")->check(positive)
        ->capture_default_str();
    cmd->add_option("--layers", o->layers,
                    "hidden (every Linear whose input is not the raw data), all, or Linear indices such as 1,2")
        ->capture_default_str();
    cmd->add_option("--k", o->k,
                    "Number of structural assemblies per layer, 1 for none (default: the largest eigengap)")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--threads", o->threads, "Threads for the products and ops")->check(positive)->check(at_most(max_threads))->capture_default_str();
    return [o] { return run(*o); };
}

}  // namespace hebb::app
