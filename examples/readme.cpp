#include <cstdio>
#include <hebb/hebb.h>
using namespace hebb;

int main() {
    manual_seed(0);
    const data::Splits splits = data::load_dataset("fashion-mnist");
    const nn::MlpSpec spec{{784, 256, 128, 10}, "relu"};
    auto net = nn::mlp(spec);                            // Sequential(Linear, ReLU, Linear, ReLU, Linear)
    optim::Adam opt(net->parameters(), {.lr = 1e-3});
    nn::CrossEntropyLoss ce;
    data::DataLoader loader(splits.train, 64, true, 0);  // a new shuffle each epoch
    for (const data::Batch& batch : loader) {            // one epoch, step by step
        opt.zero_grad();
        Tensor loss = ce((*net)(batch.x), batch.y);
        loss.backward();
        opt.step();
    }
    reg::BEAN bean(1.0f);                                // or with a regularizer, the library's loop
    training::train_epoch(*net, loader, opt, &bean, 2);
    std::printf("test accuracy %.4f\n", training::evaluate(*net, splits.test).accuracy);
    training::save_checkpoint("model.safetensors", nn::model_spec(spec), *net);
}
