// hebb assemblies: what BEAN did to a trained model. For each covered dense layer: the assemblies
// of its structural graph (spectral clustering, k from the eigengap), their modularity, how
// class-pure and selective they are on the test split, heatmaps of the structural and functional
// graphs reordered by assembly, and mean input images per assembly; optionally side by side with a
// baseline model (alpha = 0). The numbers come from hebb::analysis (analysis/assemblies.h).
#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analysis/assemblies.h"
#include "analysis/pictures.h"
#include "apps/commands.h"
#include "hebb.h"

namespace hebb::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Index = Eigen::Index;

struct Options {
    std::string model, data = "fashion-mnist", out, baseline, layers = "hidden";
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

// Analyses every covered layer of one model and writes its pictures (file names start with prefix).
ModelResult analyse_model(const std::string& path, const training::Checkpoint& loaded, const data::TensorDataset& test,
                          const std::vector<size_t>& which, const Options& o, const fs::path& out,
                          const std::string& prefix) {
    ModelResult m{path, loaded.spec.arch, training::evaluate(*loaded.model, test).accuracy, {}};
    const std::vector<const nn::Linear*> linears = nn::linear_layers(*loaded.model);
    const std::vector<Matrix> inputs = analysis::layer_inputs(*loaded.model, test.features(), which);
    analysis::LayerOptions lo{.order = o.order, .gamma = o.gamma, .spectral = {.k = o.k}};
    for (size_t i = 0; i < which.size(); ++i) {
        const nn::Linear& lin = *linears[which[i]];
        LayerResult r{which[i], weight_name(*loaded.model, lin), lin.weight.rows(),
                      analysis::analyze_layer(lin.weight.value(), inputs[i], test.labels, test.classes, lo), {}};
        const std::vector<int> order = r.a.order();
        const std::vector<size_t> blocks = r.a.block_sizes();
        const std::string base = prefix + layer_name(which[i]);
        double hi = analysis::off_diagonal_quantile(r.a.structural, 0.99);
        if (!(hi > 0)) hi = 1.0;
        const std::vector<std::pair<std::string, analysis::Image>> pictures{
            {base + "_structural.png", analysis::heatmap(r.a.structural, order, blocks, 0.0, hi, analysis::viridis, {255, 255, 255})},
            {base + "_functional.png", analysis::heatmap(r.a.functional, order, blocks, -1.0, 1.0, analysis::coolwarm, {0, 0, 0})}};
        for (const auto& [file, img] : pictures) {
            write_file_atomic((out / file).string(), analysis::encode_png(img));
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
    return {{"layer", layer_name(r.linear)}, {"linear", r.linear}, {"weight", r.weight_name},
            {"n_neurons", a.partition.labels.size()}, {"targets", r.targets}, {"k", a.partition.k},
            {"k_forced", k_forced}, {"eigengap", a.partition.eigengap}, {"eigenvalues", a.partition.eigenvalues},
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
        << (o.k > 0 ? "k = " + std::to_string(o.k) + " forced by --k" : std::string("k from the largest eigengap"))
        << ". layerL is the neuron set of layer L (0 = the input), the input of Linear L.\n\n"
        << "Purity is size-weighted (the fraction of assigned neurons preferring their assembly's "
           "dominant class); \"chance\" is the same with the preferred classes shuffled. Selectivity "
           "(mu_max - mu_rest) / (mu_max + mu_rest) is averaged over all neurons. A neuron whose class "
           "means are all equal (silent) has no preferred class (-).\n";
    for (const LayerResult& r : m.layers) {
        const analysis::LayerAnalysis& a = r.a;
        out << "\n## " << layer_name(r.linear) << ": " << a.partition.labels.size() << " neurons -> " << r.targets
            << " (" << r.weight_name << ")\n\n"
            << "k = " << a.partition.k << " (eigengap " << a.partition.eigengap << "), modularity Q = " << a.modularity
            << ". Mean purity " << a.mean_purity << " (chance " << a.chance_purity << "), mean selectivity "
            << a.mean_selectivity << ". Mean activation correlation within assemblies " << a.cohesion.within
            << ", between " << a.cohesion.between << ". " << 100 * a.small_weights
            << " % of the weights are below 1e-3 of the largest. Unassigned (isolated: no outgoing weight) neurons: "
            << a.partition.unassigned.size() << ".\n\n"
            << "| assembly | size | dominant class | purity | mean selectivity |\n|---|---|---|---|---|\n";
        for (size_t i = 0; i < a.assemblies.size(); ++i) {
            const analysis::Assembly& as = a.assemblies[i];
            out << "| " << i << " | " << as.neurons.size() << " | " << class_name(as.dominant_class, test.class_names)
                << " | " << as.purity << " | " << as.selectivity << " |\n";
        }
        out << "\nPictures (neurons reordered by assembly, lines between assemblies, unassigned last): `"
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
        for (size_t i = 0; i < m.layers.size(); ++i) {
            const analysis::LayerAnalysis &a = m.layers[i].a, &b = baseline->layers[i].a;
            const std::string l = layer_name(m.layers[i].linear);
            out << "| " << l << " | assemblies k | " << a.partition.k << " | " << b.partition.k << " |\n"
                << "| " << l << " | modularity Q | " << a.modularity << " | " << b.modularity << " |\n"
                << "| " << l << " | mean purity | " << a.mean_purity << " | " << b.mean_purity << " |\n"
                << "| " << l << " | mean selectivity | " << a.mean_selectivity << " | " << b.mean_selectivity << " |\n"
                << "| " << l << " | fraction of weights below 1e-3 max | " << a.small_weights << " | " << b.small_weights << " |\n";
        }
        out << "| all | test accuracy | " << m.accuracy << " | " << baseline->accuracy << " |\n"
            << "\nThe baseline's pictures are the `baseline_*.png` files.\n";
    }
    return out.str();
}

void print_summary(const ModelResult& m, const char* label) {
    std::printf("%s %s (%s), test accuracy %.4f\n", label, m.path.c_str(), m.arch.c_str(), m.accuracy);
    for (const LayerResult& r : m.layers) {
        const analysis::LayerAnalysis& a = r.a;
        std::printf("  %-7s %4zu neurons  k %2d  eigengap %.3f  Q %.3f  purity %.3f (chance %.3f)  selectivity %.3f"
                    "  small weights %.1f%%\n",
                    layer_name(r.linear).c_str(), a.partition.labels.size(), a.partition.k, a.partition.eigengap,
                    a.modularity, a.mean_purity, a.chance_purity, a.mean_selectivity, 100 * a.small_weights);
    }
}

int run(const Options& o) {
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
    reading_flag("--data", [&] { data::check_dataset_name(o.data); });
    prepare_output_folder(o.out, "--out");
    const fs::path out = o.out;
    const data::TensorDataset test = data::load_dataset(o.data).test;
    check_usage(fits(model.input, test.image), "--data ", o.data, ": ", test.image.values(), " features, but ", o.model,
                " takes ", model.input.values(), " inputs");

    const ModelResult m = analyse_model(o.model, model, test, which, o, out, "");
    std::optional<ModelResult> b;
    if (baseline) b = analyse_model(o.baseline, *baseline, test, which, o, out, "baseline_");

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
    std::printf("wrote %s: assemblies.json, assemblies.md and %zu PNG files\n", o.out.c_str(), pictures);
    return 0;
}

}  // namespace

Command add_assemblies(CLI::App& app) {
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("assemblies", "Find the neuronal assemblies of a trained model and picture them");
    cmd->add_option("--model", o->model, "Checkpoint (.safetensors)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--data", o->data, "fashion-mnist, mnist, csv:PATH, images:DIR or spirals (its test split)")
        ->capture_default_str();
    cmd->add_option("--out", o->out, "Folder for assemblies.json, assemblies.md and the PNG pictures")->required();
    cmd->add_option("--baseline", o->baseline, "A checkpoint of the same arch to compare with (e.g. alpha = 0)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--order", o->order, "Structural graph: 1 for A A^T (BEAN-1), 2 for its Hadamard square (BEAN-2)")
        ->check(CLI::Range(1, 2))->capture_default_str();
    cmd->add_option("--gamma", o->gamma, "tanh scale in A = |tanh(gamma W)|")->check(positive)
        ->capture_default_str();
    cmd->add_option("--layers", o->layers,
                    "hidden (every Linear whose input is not the raw data), all, or Linear indices such as 1,2")
        ->capture_default_str();
    cmd->add_option("--k", o->k, "Number of assemblies per layer (default: the largest eigengap)")
        ->check(CLI::Range(2, 1 << 20));
    cmd->add_option("--threads", o->threads)->check(positive)->check(at_most(max_threads))->capture_default_str();
    return [o] { return run(*o); };
}

}  // namespace hebb::app
