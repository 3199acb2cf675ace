#include "layers/mlp.h"

#include <charconv>

namespace hebb::nn {

std::vector<Eigen::Index> parse_arch(const std::string& arch) {
    std::vector<Eigen::Index> sizes;
    const char* p = arch.data();
    const char* end = p + arch.size();
    while (p < end) {
        long long size = 0;
        auto [next, ec] = std::from_chars(p, end, size);
        HEBB_CHECK(ec == std::errc() && size > 0 && (next == end || *next == '-'), "arch '", arch,
                   "': expected positive layer sizes joined by '-', such as 784-256-128-10");
        sizes.push_back(size);
        p = next == end ? end : next + 1;
        HEBB_CHECK(next == end || p < end, "arch '", arch, "' ends with '-'");
    }
    HEBB_CHECK(sizes.size() >= 2, "arch '", arch, "': needs at least an input and an output size");
    return sizes;
}

std::string MlpSpec::arch() const {
    std::string out;
    for (auto s : sizes) out += (out.empty() ? "" : "-") + std::to_string(s);
    return out;
}

Metadata MlpSpec::metadata() const {
    Metadata m{{"format", "hebb"}, {"format_version", "1"}, {"arch", arch()}, {"activation", activation}};
    if (dropout > 0.0f) m["dropout"] = std::to_string(dropout);
    return m;
}

MlpSpec MlpSpec::from_metadata(const Metadata& m, const std::string& source) {
    auto get = [&](const std::string& key) -> const std::string* {
        auto it = m.find(key);
        return it == m.end() ? nullptr : &it->second;
    };
    if (auto f = get("format")) HEBB_CHECK(*f == "hebb", source, ": format is '", *f, "', not 'hebb'");
    if (auto v = get("format_version"))
        HEBB_CHECK(*v == "1", source, ": format_version ", *v, " is newer than this hebb reads (1)");
    HEBB_CHECK(get("arch") && get("activation"), source,
               ": metadata needs 'arch' and 'activation' to rebuild the model");
    MlpSpec spec{parse_arch(*get("arch")), *get("activation")};
    if (auto d = get("dropout")) {
        try {
            spec.dropout = std::stof(*d);
        } catch (const std::exception&) {
            fail(source, ": dropout '", *d, "' is not a number");
        }
    }
    return spec;
}

std::shared_ptr<Sequential> mlp(const MlpSpec& spec, Generator& gen) {
    HEBB_CHECK(spec.sizes.size() >= 2, "mlp: needs at least an input and an output size");
    auto net = std::make_shared<Sequential>();
    for (size_t i = 0; i + 1 < spec.sizes.size(); ++i) {
        net->push_back(std::make_shared<Linear>(spec.sizes[i], spec.sizes[i + 1], true, gen));
        if (i + 2 == spec.sizes.size()) break;  // no activation after the output layer
        net->push_back(make_activation(spec.activation));
        if (spec.dropout > 0.0f) net->push_back(std::make_shared<Dropout>(spec.dropout, gen));
    }
    return net;
}

void save_mlp(const std::string& path, const MlpSpec& spec, const Module& model,
              const StateDict& extra, const Metadata& extra_metadata) {
    StateDict arrays = model.state_dict();
    arrays.insert(arrays.end(), extra.begin(), extra.end());
    Metadata metadata = extra_metadata;
    for (const auto& [key, value] : spec.metadata()) metadata[key] = value;
    save_safetensors(path, arrays, metadata);
}

LoadedMlp load_mlp(const std::string& path) {
    SafetensorsFile file = load_safetensors(path);
    LoadedMlp loaded{MlpSpec::from_metadata(file.metadata, path), nullptr, {}, std::move(file.metadata)};
    // The arch must account for exactly the model's numbers in the file before a model of that
    // size is built: a lying arch cannot make hebb allocate more than the file holds.
    double stored = 0.0, needed = 0.0;
    for (const NamedArray& a : file.arrays)
        if (!a.name.starts_with("optim.")) stored += static_cast<double>(a.value.size());
    for (size_t i = 0; i + 1 < loaded.spec.sizes.size(); ++i)
        needed += (static_cast<double>(loaded.spec.sizes[i]) + 1.0) * static_cast<double>(loaded.spec.sizes[i + 1]);
    const auto count = [](double n) { return n < 1e18 ? std::to_string(static_cast<long long>(n)) : "more than 10^18"; };
    HEBB_CHECK(needed == stored, path, ": arch ", loaded.spec.arch(), " needs ", count(needed),
               " weights and biases, the file holds ", count(stored));
    // The model's dropout draws from the default generator; its initial weights are overwritten
    // below, so the generator is put back as it was: loading uses no randomness.
    Generator& gen = default_generator();
    const std::string state = gen.state();
    loaded.model = mlp(loaded.spec, gen);
    gen.set_state(state);
    StateDict weights;
    for (NamedArray& a : file.arrays)
        (a.name.starts_with("optim.") ? loaded.extra : weights).push_back(std::move(a));
    try {
        loaded.model->load_state_dict(weights);
    } catch (const Error& e) {
        fail(path, ": ", e.what());
    }
    return loaded;
}

}  // namespace hebb::nn
