#include "layers/mlp.h"

#include <charconv>

#include "io/file.h"

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

double MlpSpec::parameter_count() const {
    double n = 0.0;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) n += (static_cast<double>(sizes[i]) + 1.0) * static_cast<double>(sizes[i + 1]);
    return n;
}

std::shared_ptr<Sequential> mlp(const MlpSpec& spec, Generator& gen) {
    HEBB_CHECK(spec.sizes.size() >= 2, "mlp: needs at least an input and an output size");
    check_memory("arch " + spec.arch() + ": its weights and biases", 4.0 * spec.parameter_count());
    auto net = std::make_shared<Sequential>();
    for (size_t i = 0; i + 1 < spec.sizes.size(); ++i) {
        net->push_back(std::make_shared<Linear>(spec.sizes[i], spec.sizes[i + 1], true, gen));
        if (i + 2 == spec.sizes.size()) break;  // no activation after the output layer
        net->push_back(make_activation(spec.activation));
        if (spec.dropout > 0.0f) net->push_back(std::make_shared<Dropout>(spec.dropout, gen));
    }
    return net;
}

}  // namespace hebb::nn
