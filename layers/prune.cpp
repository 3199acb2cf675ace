#include "layers/prune.h"

#include <algorithm>
#include <cmath>

namespace hebb::nn {

namespace {

// The Linear layers of `model`, checked against the layout mlp(spec) builds.
std::vector<const Linear*> mlp_linears(const MlpSpec& spec, const Sequential& model) {
    const size_t n_linear = spec.sizes.size() - 1;
    const size_t per_hidden = spec.dropout > 0.0f ? 3 : 2;  // Linear, act[, Dropout]
    const std::string where = "prune: the model is not the MLP " + spec.arch() + " (" + spec.activation + ")";
    HEBB_CHECK(spec.sizes.size() >= 2, where, ": needs at least an input and an output size");
    HEBB_CHECK(model.size() == (n_linear - 1) * per_hidden + 1, where, ": it has ", model.size(),
               " modules, that MLP has ", (n_linear - 1) * per_hidden + 1);
    const std::string act_name = make_activation(spec.activation)->name();
    std::vector<const Linear*> linears;
    for (size_t i = 0; i < n_linear; ++i) {
        const size_t at = i * per_hidden;
        const auto* linear = dynamic_cast<const Linear*>(&model[at]);
        HEBB_CHECK(linear, where, ": module ", at, " is ", model[at].name(), ", expected Linear");
        const Matrix& w = linear->weight.value();
        HEBB_CHECK(w.cols() == spec.sizes[i] && w.rows() == spec.sizes[i + 1], where, ": module ", at,
                   " has weight ", shape_str(w), ", expected (", spec.sizes[i + 1], "x", spec.sizes[i], ")");
        linears.push_back(linear);
        if (i + 1 == n_linear) break;
        HEBB_CHECK(model[at + 1].name() == act_name, where, ": module ", at + 1, " is ", model[at + 1].name(),
                   ", expected ", act_name);
        if (per_hidden == 3)
            HEBB_CHECK(model[at + 2].name() == "Dropout", where, ": module ", at + 2, " is ",
                       model[at + 2].name(), ", expected Dropout");
    }
    return linears;
}

long count_nonzero(const Matrix& m) { return static_cast<long>((m.array() != 0.0f).count()); }

// The model `spec` names, built with the default generator so that Dropout keeps a generator that
// outlives the model; the generator's state is put back, so pruning draws no random numbers of the
// caller's.
std::shared_ptr<Sequential> build_quietly(const ModelSpec& spec) {
    Generator& gen = default_generator();
    const std::string gen_state = gen.state();
    std::shared_ptr<Sequential> net = build_model(spec, gen).net;
    gen.set_state(gen_state);
    return net;
}

}  // namespace

long dense_parameters(const std::vector<Eigen::Index>& sizes) {
    long n = 0;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) n += static_cast<long>(sizes[i] * sizes[i + 1] + sizes[i + 1]);
    return n;
}

long dense_flops(const std::vector<Eigen::Index>& sizes) {
    long n = 0;  // one multiply and one add per weight; biases and activations are not counted
    for (size_t i = 0; i + 1 < sizes.size(); ++i) n += static_cast<long>(2 * sizes[i] * sizes[i + 1]);
    return n;
}

PrunedMlp prune_mlp(const MlpSpec& spec, const Sequential& model, float threshold) {
    HEBB_CHECK(threshold >= 0.0f, "prune: threshold ", threshold, " must be >= 0 (weights with |w| below it are zeroed)");
    const std::vector<const Linear*> linears = mlp_linears(spec, model);
    const size_t L = linears.size();
    PruneStats stats;
    stats.neurons_before = spec.sizes;

    // W[l] (out x in) and B[l] (1 x out) of dense layer l, which maps layer l to layer l + 1.
    std::vector<Matrix> W(L), B(L);
    for (size_t l = 0; l < L; ++l) {
        W[l] = linears[l]->weight.value();
        stats.nonzero_before += count_nonzero(W[l]);
        W[l] = (W[l].array().abs() < threshold).select(0.0f, W[l]);
        stats.kept += count_nonzero(W[l]);
        B[l] = linears[l]->bias.defined() ? linears[l]->bias.value() : Matrix::Zero(1, W[l].rows());
    }
    stats.weights_total = dense_flops(spec.sizes) / 2;

    // act(b) through the model's own activation module, so the folded constant is exactly what
    // the forward pass would compute.
    NoGradGuard no_grad;
    auto act = [&](float b) { return L > 1 ? model[1](Tensor(Matrix::Constant(1, 1, b))).item() : b; };

    // Neuron states of every layer; only hidden ones (1 .. L-1) change. A removed neuron ends with
    // its incoming row and outgoing column zeroed, so it counts as no weight for its neighbours.
    enum State : char { Alive, Removed, Placeholder };
    std::vector<std::vector<State>> state(L + 1);
    std::vector<Eigen::Index> alive = spec.sizes;
    for (size_t h = 0; h <= L; ++h) state[h].assign(static_cast<size_t>(spec.sizes[h]), Alive);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t h = 1; h < L; ++h) {
            Matrix& in = W[h - 1];  // row j: the weights into neuron j of layer h
            Matrix& out = W[h];     // column j: the weights out of it
            for (Eigen::Index j = 0; j < spec.sizes[h]; ++j) {
                State& s = state[h][static_cast<size_t>(j)];
                if (s != Alive) continue;
                const bool no_in = (in.row(j).array() == 0.0f).all();
                const bool no_out = (out.col(j).array() == 0.0f).all();
                if (!no_in && !no_out) continue;
                if (no_in) {  // a constant act(b_j): the next layer gets it through its bias
                    const float c = act(B[h - 1](0, j));
                    B[h] += out.col(j).transpose() * c;
                    out.col(j).setZero();
                }
                in.row(j).setZero();  // with no outgoing weight, its inputs feed nothing
                B[h - 1](0, j) = 0.0f;
                // A layer that would lose every neuron keeps this one with all its weights and its
                // bias at zero (it adds nothing downstream), so the result is still a valid MLP.
                if (alive[h] == 1) {
                    s = Placeholder;
                } else {
                    s = Removed;
                    --alive[h];
                }
                changed = true;
            }
        }
    }

    PrunedMlp result{spec, nullptr, {}};
    result.spec.sizes = alive;
    result.model = build_quietly(model_spec(result.spec));
    std::vector<Tensor> params = result.model->parameters();  // weight, bias of each Linear
    auto kept_of = [&](size_t layer) {
        std::vector<Eigen::Index> idx;
        for (Eigen::Index j = 0; j < spec.sizes[layer]; ++j)
            if (state[layer][static_cast<size_t>(j)] != Removed) idx.push_back(j);
        return idx;
    };
    for (size_t l = 0; l < L; ++l) {
        const std::vector<Eigen::Index> rows = kept_of(l + 1), cols = kept_of(l);
        Matrix weight = W[l](rows, cols), bias = B[l](Eigen::all, rows);
        stats.nonzero_after += count_nonzero(weight);
        params[2 * l].value() = std::move(weight);  // the handles share the model's values
        params[2 * l + 1].value() = std::move(bias);
    }
    if (!model.is_training()) result.model->eval();

    stats.neurons_after = result.spec.sizes;
    stats.params_before = dense_parameters(spec.sizes);
    stats.params_after = dense_parameters(result.spec.sizes);
    stats.flops_before = dense_flops(spec.sizes);
    stats.flops_after = dense_flops(result.spec.sizes);
    result.stats = std::move(stats);
    return result;
}

PrunedModel prune(const ModelSpec& spec, const Sequential& model, float threshold) {
    if (is_mlp_spec(spec.arch)) {
        PrunedMlp p = prune_mlp({parse_arch(spec.arch), spec.activation, spec.dropout}, model, threshold);
        return {model_spec(p.spec), std::move(p.model), std::move(p.stats)};
    }
    ConvSpec parts = split_conv_spec(spec.arch);  // one token per module
    std::vector<std::string>& tokens = parts.layers;
    HEBB_CHECK(tokens.size() == model.size(), "prune: the model is not ", spec.arch, ": it has ", model.size(), " modules");
    size_t first = 0;  // the first Linear: where the dense part begins
    while (first < model.size() && !dynamic_cast<const Linear*>(&model[first])) ++first;
    HEBB_CHECK(first < model.size(), "prune: ", spec.arch, " has no Linear layer");

    // The dense part as the MLP it must be: sizes from its Linears, activation and dropout from its tokens.
    Sequential dense;
    MlpSpec dense_spec{{dynamic_cast<const Linear&>(model[first]).weight.cols()}};
    for (size_t i = first; i < model.size(); ++i) {
        dense.push_back(model.children()[i].second);
        if (const auto* linear = dynamic_cast<const Linear*>(&model[i])) dense_spec.sizes.push_back(linear->weight.rows());
    }
    if (first + 1 < tokens.size()) dense_spec.activation = tokens[first + 1];
    if (first + 2 < tokens.size() && tokens[first + 2].starts_with("dropout"))
        dense_spec.dropout = std::stof(tokens[first + 2].substr(7));
    PrunedMlp pruned = [&] {
        try {
            return prune_mlp(dense_spec, dense, threshold);
        } catch (const Error& e) {
            fail("prune: the layers of ", spec.arch, " from token ", first + 1, " on: ", e.what());
        }
    }();

    // The same spec with the dense part's new widths; its layers, and so its keys, stay where they were.
    for (size_t i = first, k = 1; i < tokens.size(); ++i)
        if (tokens[i].starts_with("linear")) tokens[i] = "linear" + std::to_string(pruned.spec.sizes[k++]);
    const std::string smaller = parts.str();
    PrunedModel result{{smaller == lenet5_spec ? "lenet5" : smaller}, nullptr, std::move(pruned.stats)};
    result.model = build_quietly(result.spec);
    StateDict state;
    for (NamedArray& a : model.state_dict())
        if (std::stoul(a.name) < first) state.push_back(std::move(a));
    for (NamedArray& a : pruned.model->state_dict()) {
        const size_t dot = a.name.find('.');
        a.name = std::to_string(std::stoul(a.name.substr(0, dot)) + first) + a.name.substr(dot);
        state.push_back(std::move(a));
    }
    result.model->load_state_dict(state);
    if (!model.is_training()) result.model->eval();

    for (size_t i = 0; i < first; ++i) {
        for (const Tensor& p : model[i].parameters()) result.stats.fixed_params += static_cast<long>(p.value().size());
        if (const auto* conv = dynamic_cast<const Conv2d*>(&model[i])) {
            const ImageShape out = conv->output_shape();
            result.stats.fixed_flops += static_cast<long>(2 * conv->weight.value().size() * out.height * out.width);
        }
    }
    return result;
}

PrunedModel prune_neurons(const ModelSpec& spec, const Sequential& model, double fraction) {
    HEBB_CHECK(fraction > 0.0 && fraction <= 1.0, "prune_neurons: fraction ", fraction, " is not in (0, 1]");
    std::shared_ptr<Sequential> copy = build_quietly(spec);
    copy->load_state_dict(model.state_dict());
    if (!model.is_training()) copy->eval();
    std::vector<Linear*> linears;  // the copy's, in forward order: the dense part
    for (size_t i = 0; i < copy->size(); ++i)
        if (auto* linear = dynamic_cast<Linear*>(&(*copy)[i])) linears.push_back(linear);
    long nonzero_before = 0;
    for (const Linear* linear : linears) nonzero_before += count_nonzero(linear->weight.value());

    // Hidden layer l - 1's neuron j feeds Linear l through column j of its weight (out x in).
    for (size_t l = 1; l < linears.size(); ++l) {
        Matrix& w = linears[l]->weight.value();
        const Eigen::RowVectorXf norms = w.colwise().norm();  // 1 x in
        std::vector<Eigen::Index> order(static_cast<size_t>(w.cols()));
        for (Eigen::Index j = 0; j < w.cols(); ++j) order[static_cast<size_t>(j)] = j;
        std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return norms(a) > norms(b); });
        const long keep = std::max(1L, std::lround(fraction * static_cast<double>(w.cols())));
        for (size_t r = static_cast<size_t>(keep); r < order.size(); ++r) w.col(order[r]).setZero();
    }
    PrunedModel result = prune(spec, *copy, 0.0f);
    result.stats.nonzero_before = nonzero_before;
    return result;
}

float threshold_for_fraction(const Sequential& model, double fraction) {
    HEBB_CHECK(fraction >= 0.0 && fraction <= 1.0, "threshold_for_fraction: fraction ", fraction,
               " is not in [0, 1]");
    std::vector<float> mags;
    for (const Linear* linear : linear_layers(model)) {
        const Matrix& w = linear->weight.value();
        for (Eigen::Index i = 0; i < w.size(); ++i) mags.push_back(std::abs(w.data()[i]));
    }
    HEBB_CHECK(!mags.empty(), "threshold_for_fraction: the model has no Linear layer");
    const auto n = static_cast<long>(mags.size());
    const long keep = std::lround(fraction * static_cast<double>(n));
    if (keep >= n) return 0.0f;
    if (keep <= 0) return std::nextafter(*std::max_element(mags.begin(), mags.end()), INFINITY);
    // The keep-th largest |w| is the cut-off: every weight at least that large stays.
    auto cut = mags.begin() + (n - keep);
    std::nth_element(mags.begin(), cut, mags.end());
    return *cut;
}

float largest_dense_weight(const Sequential& model) {
    float largest = 0.0f;
    for (const Linear* linear : linear_layers(model)) largest = std::max(largest, linear->weight.value().cwiseAbs().maxCoeff());
    return largest;
}

}  // namespace hebb::nn
