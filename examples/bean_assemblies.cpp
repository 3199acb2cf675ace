// BEAN on the tape: the regularizer reads each covered Linear's weight and the activations that
// entered it, adds its term to the loss, and one backward() covers both. Then the assemblies it grew
// in the layer that feeds the logits, against the same network trained without it.
#include <cstdio>
#include <hebb/hebb.h>
using namespace hebb;

// A 64-64-32-10 MLP trained for 100 epochs on sklearn's 8x8 digits, with BEAN-1 at strength
// alpha (none for alpha 0); then the analysis of Linear 2's input neurons over the test images.
analysis::LayerAnalysis train_and_analyse(const data::Splits& digits, float alpha) {
    manual_seed(1);
    auto net = nn::mlp({{64, 64, 32, 10}, "relu"});
    optim::Adam opt(net->parameters(), {.lr = 1e-3});
    reg::BEAN bean(alpha);  // order 1, gamma 1, the hidden Linears (1 and 2)
    data::DataLoader loader(digits.train, 32, true, 0);
    for (int epoch = 1; epoch <= 100; ++epoch) training::train_epoch(*net, loader, opt, alpha > 0 ? &bean : nullptr, epoch);

    const std::vector<size_t> layer{2};
    const Matrix inputs = analysis::layer_inputs(*net, digits.test.features(), layer).front();  // (360 x 32)
    const Matrix& weight = nn::linear_layers(*net)[2]->weight.value();                          // (10 x 32)
    analysis::LayerOptions options;
    options.feeds_output = true;  // Linear 2 gives the logits: its readout is measured too
    return analysis::analyze_layer(weight, inputs, digits.test.labels, 10, options);
}

int main() {
    // Installed by scripts/setup (or under $HEBB_DATA); every fifth sample is the test split.
    const data::Splits digits = data::load_dataset("csv:" + data::data_root() + "/sklearn/digits.csv.gz");
    for (const float alpha : {0.0f, 1.0f, 10.0f}) {
        const analysis::LayerAnalysis a = train_and_analyse(digits, alpha);
        std::printf("alpha %g: k = %d%s, modularity %.2f, purity %.2f (chance %.2f)\n", alpha, a.partition.k,
                    a.has_structure() ? " assemblies" : ": no assembly structure", a.modularity, a.mean_purity,
                    a.chance_purity);
    }
}
