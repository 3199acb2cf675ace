#include "training/trainer.h"

#include <cmath>

#include "core/ops.h"
#include "training/evaluate.h"

namespace hebb::training {

StepResult train_step(nn::Module& model, const data::Batch& batch, optim::Optimizer& opt,
                      const reg::Regularizer* reg) {
    opt.zero_grad();
    const Tensor logits = model(batch.x);
    const Tensor task = cross_entropy(logits, batch.y);
    const Tensor penalty = reg ? (*reg)(model) : Tensor();
    const Tensor loss = reg ? task + penalty : task;
    HEBB_CHECK(std::isfinite(loss.item()), "the loss is ", loss.item(), " (task ", task.item(), ")");
    loss.backward();
    opt.step();
    return {task.item(), reg ? penalty.item() : 0.0f, count_correct(logits.value(), batch.y)};
}

EpochStats train_epoch(nn::Module& model, data::DataLoader& loader, optim::Optimizer& opt,
                       const reg::Regularizer* reg, int epoch,
                       const std::function<void(const EpochStats&)>& after_step) {
    model.train();
    double loss_sum = 0.0, reg_sum = 0.0;
    long correct = 0;
    EpochStats s;
    for (const data::Batch& batch : loader) {
        ++s.steps;
        StepResult r;
        try {
            r = train_step(model, batch, opt, reg);
        } catch (const Error& e) {
            fail("epoch ", epoch, " step ", s.steps, ": ", e.what());
        }
        const auto b = static_cast<double>(batch.x.rows());
        loss_sum += r.loss * b;
        reg_sum += r.reg_loss * b;
        correct += r.correct;
        s.samples += batch.x.rows();
        s.loss = loss_sum / static_cast<double>(s.samples);
        s.reg_loss = reg_sum / static_cast<double>(s.samples);
        s.accuracy = static_cast<double>(correct) / static_cast<double>(s.samples);
        if (after_step) after_step(s);
    }
    return s;
}

}  // namespace hebb::training
