#include "training/checkpoint.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

#include "io/safetensors.h"

namespace hebb::training {

namespace {

constexpr std::string_view optim_prefix = "optim.", state_prefix = "optim.state.";
// Keys of the layout itself; every other metadata key is a note.
const std::set<std::string> layout_keys{"format", "format_version", "arch", "activation", "dropout",
                                        "epoch", "best_val_acc", "rng"};

Metadata spec_metadata(const nn::ModelSpec& spec) {
    Metadata m{{"format", "hebb"}, {"format_version", "1"}, {"arch", spec.arch}, {"activation", spec.activation}};
    if (spec.dropout > 0.0f) m["dropout"] = std::to_string(spec.dropout);
    return m;
}

const std::string* find(const Metadata& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
}

// A whole-string number, or an Error naming the file and the key.
template <class Number>
Number number(const std::string& path, const std::string& key, const std::string& text) {
    Number v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    HEBB_CHECK(ec == std::errc() && end == text.data() + text.size(), path, ": metadata ", key, " '", text,
               "' is not a number");
    return v;
}

// f(), which checks the metadata value of `key`: its Error, prefixed with the file and the key.
template <class F>
auto checking(const std::string& path, const std::string& key, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Error& e) {
        fail(path, ": metadata ", key, ": ", e.what());
    }
}

nn::ModelSpec spec_from(const std::string& path, const Metadata& m) {
    if (auto f = find(m, "format")) HEBB_CHECK(*f == "hebb", path, ": format is '", *f, "', not 'hebb'");
    if (auto v = find(m, "format_version"))
        HEBB_CHECK(*v == "1", path, ": format_version ", *v, " is newer than this hebb reads (1)");
    HEBB_CHECK(find(m, "arch") && find(m, "activation"), path,
               ": metadata needs 'arch' and 'activation' to rebuild the model");
    nn::ModelSpec spec{*find(m, "arch"), *find(m, "activation")};
    checking(path, "activation", [&] { nn::make_activation(spec.activation); });
    if (auto d = find(m, "dropout")) {
        spec.dropout = number<float>(path, "dropout", *d);
        HEBB_CHECK(spec.dropout >= 0.0f && spec.dropout < 1.0f, path, ": metadata dropout ", *d, " is not in [0, 1)");
    }
    return spec;
}

// "optim.state.<index>.<buffer>" -> (index, buffer), or an Error naming the file and the key.
std::pair<size_t, std::string> state_key(const std::string& path, const std::string& name) {
    const bool prefixed = name.starts_with(state_prefix);
    const std::string_view rest = std::string_view(name).substr(prefixed ? state_prefix.size() : name.size());
    size_t index = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    HEBB_CHECK(prefixed && ec == std::errc() && end < rest.data() + rest.size() && *end == '.',
               path, ": array '", name, "' is neither the model's nor optim.step or optim.state.<index>.<buffer>");
    return {index, std::string(end + 1, rest.data() + rest.size())};
}

// Refuses an array holding a NaN or an infinity: a model that diverged, or a damaged file, would
// evaluate to a NaN loss without a word.
void check_finite(const std::string& path, const NamedArray& a) {
    const Eigen::Index count = a.value.size() - a.value.array().isFinite().count();
    if (count == 0) return;
    Eigen::Index at = 0;
    while (std::isfinite(a.value.data()[at])) ++at;
    const Eigen::Index row = at / a.value.cols(), col = at % a.value.cols();
    const std::string where = a.shape.size() == 2 ? "(" + std::to_string(row) + ", " + std::to_string(col) + ")"
                                                  : "index " + std::to_string(at);
    fail(path, ": array '", a.name, "' holds ", count, " non-finite value", count == 1 ? "" : "s", ", the first ",
         std::isnan(a.value.data()[at]) ? "a NaN" : "an infinity", " at ", where,
         "; the run that wrote it diverged or the file is damaged: use an earlier checkpoint");
}

// The run's metadata, each field checked: epoch a whole number in [0, 10^6], best_val_acc -1 (no
// validation) or in [0, 1], rng a generator state that Generator::set_state takes.
RunState run_from(const std::string& path, const Metadata& m, std::optional<optim::OptimizerState> optimizer) {
    HEBB_CHECK(find(m, "best_val_acc") && find(m, "rng"), path, ": metadata has an epoch but not best_val_acc and rng");
    RunState run{number<int>(path, "epoch", *find(m, "epoch")), number<double>(path, "best_val_acc", *find(m, "best_val_acc")),
                 *find(m, "rng"), std::move(optimizer)};
    HEBB_CHECK(run.epoch >= 0 && run.epoch <= max_epochs, path, ": metadata epoch ", run.epoch, " is not in [0, ",
               max_epochs, "]");
    HEBB_CHECK(run.best_val_acc == -1.0 || (run.best_val_acc >= 0.0 && run.best_val_acc <= 1.0), path,
               ": metadata best_val_acc ", *find(m, "best_val_acc"), " is neither -1 (no validation) nor in [0, 1]");
    checking(path, "rng", [&] { Generator().set_state(run.generator); });
    return run;
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::ModelSpec& spec, const nn::Module& model,
                     const std::optional<RunState>& run, const Metadata& notes) {
    StateDict arrays = model.state_dict();
    Metadata metadata = notes;
    for (const auto& [key, value] : spec_metadata(spec)) metadata[key] = value;
    if (run) {
        char best[32];
        std::snprintf(best, sizeof best, "%.17g", run->best_val_acc);  // exact: a resumed run compares the same
        metadata["epoch"] = std::to_string(run->epoch);
        metadata["best_val_acc"] = best;
        metadata["rng"] = run->generator;
        if (const auto& o = run->optimizer) {
            for (size_t i = 0; i < o->params.size(); ++i)
                for (const NamedArray& a : o->params[i])
                    arrays.push_back({std::string(state_prefix) + std::to_string(i) + "." + a.name, a.value, a.shape});
        }
    }
    save_safetensors(path, arrays, metadata);
}

Checkpoint load_checkpoint(const std::string& path) {
    SafetensorsFile file = load_safetensors(path);
    Checkpoint c{spec_from(path, file.metadata), nullptr, {}, {}, std::nullopt, {}};
    for (const NamedArray& a : file.arrays) check_finite(path, a);
    for (const auto& [key, value] : file.metadata)
        if (!layout_keys.contains(key)) c.notes[key] = value;

    StateDict weights;
    std::optional<optim::OptimizerState> optimizer;
    std::optional<Matrix> shared_step;  // a file from before per-parameter steps: one for all
    for (NamedArray& a : file.arrays) {
        if (!a.name.starts_with(optim_prefix)) {
            weights.push_back(std::move(a));
            continue;
        }
        if (!optimizer) optimizer.emplace();
        const bool shared = a.name == std::string(optim_prefix) + "step";
        auto [index, buffer] = shared ? std::pair<size_t, std::string>{0, "step"} : state_key(path, a.name);
        if (buffer == "step") {
            HEBB_CHECK(a.value.size() == 1, path, ": ", a.name, " is ", shape_str(a.value), ", not one number");
            const float step = a.value(0, 0);
            HEBB_CHECK(step >= 0.0f && step == std::floor(step) && step <= 1e15f, path, ": ", a.name, " ", step,
                       " is not a whole number of steps");
        }
        if (shared) {
            shared_step = a.value;
            continue;
        }
        // Parameters come in order, a few dozen at most: an index beyond the arrays is a lie.
        HEBB_CHECK(index < file.arrays.size(), path, ": array '", a.name, "' names parameter ", index, " of at most ",
                   file.arrays.size());
        if (optimizer->params.size() <= index) optimizer->params.resize(index + 1);
        optimizer->params[index].push_back({std::move(buffer), std::move(a.value), std::move(a.shape)});
    }
    if (shared_step)  // it was the step of every parameter with state
        for (StateDict& state : optimizer->params)
            if (!state.empty()) state.push_back({"step", *shared_step, {}});

    double stored = 0.0;
    for (const NamedArray& a : weights) stored += static_cast<double>(a.value.size());
    // The model's dropout draws from the default generator; its initial weights are overwritten
    // below, so the generator is put back as it was: loading uses no randomness.
    Generator& gen = default_generator();
    const std::string state = gen.state();
    const nn::Model model = checking(path, "arch", [&] { return nn::build_model(c.spec, gen, stored); });
    gen.set_state(state);
    std::tie(c.model, c.input, c.output) = std::tie(model.net, model.input, model.output);
    double needed = 0.0;
    for (const Tensor& p : c.model->parameters()) needed += static_cast<double>(p.value().size());
    HEBB_CHECK(needed == stored, path, ": arch ", c.spec.arch, " needs ", static_cast<long long>(needed),
               " weights and biases, the file holds ", static_cast<long long>(stored));
    try {
        c.model->load_state_dict(weights);
    } catch (const Error& e) {
        fail(path, ": ", e.what());
    }

    if (find(file.metadata, "epoch")) {
        c.run = run_from(path, file.metadata, std::move(optimizer));
        if (auto& o = c.run->optimizer) {
            const size_t n = c.model->parameters().size();
            HEBB_CHECK(o->params.size() <= n, path, ": optimizer state for parameter ", o->params.size() - 1,
                       " of a model with ", n);
            o->params.resize(n);  // parameters with no buffer yet
        }
    } else {
        HEBB_CHECK(!optimizer, path, ": holds optimizer state but no epoch");
    }
    return c;
}

}  // namespace hebb::training
