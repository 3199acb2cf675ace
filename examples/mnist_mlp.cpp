// An MLP on MNIST, step by step: a DataLoader over the training images, Adam, cross-entropy; then
// the test accuracy, and a checkpoint that hebb's command and PyTorch both read.
#include <cstdio>
#include <hebb/hebb.h>
using namespace hebb;

int main() {
    manual_seed(0);
    const data::Splits mnist = data::load_dataset("mnist");  // pixels as byte / 255
    const data::TensorDataset train = data::slice(mnist.train, 0, 20000);  // the first 20,000 images
    const nn::MlpSpec spec{{784, 128, 10}, "relu"};
    auto net = nn::mlp(spec);  // Sequential(Linear(784, 128), ReLU(), Linear(128, 10))
    optim::Adam opt(net->parameters(), {.lr = 1e-3});
    nn::CrossEntropyLoss ce;
    data::DataLoader loader(train, 64, /*shuffle=*/true, /*seed=*/0);
    for (int epoch = 1; epoch <= 2; ++epoch) {
        double total = 0;
        for (const data::Batch& batch : loader) {  // each pass over the loader is a new shuffle
            opt.zero_grad();
            Tensor loss = ce((*net)(batch.x), batch.y);
            loss.backward();
            opt.step();
            total += loss.item();
        }
        std::printf("epoch %d: mean loss %.2f\n", epoch, total / static_cast<double>(loader.num_batches()));
    }
    const training::Evaluation test = training::evaluate(*net, mnist.test);
    std::printf("test accuracy %.1f %% on %ld images\n", 100 * test.accuracy, test.n);
    training::save_checkpoint("mnist_mlp.safetensors", nn::model_spec(spec), *net);
    std::printf("wrote mnist_mlp.safetensors\n");
}
