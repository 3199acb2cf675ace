#include "training/trainer.h"

#include <array>
#include <cmath>

#include "core/ops.h"
#include "layers/layers.h"
#include "training/evaluate.h"

namespace hebb::training {

StepResult train_step(nn::Module& model, const data::Batch& batch, optim::Optimizer& opt,
                      const reg::Regularizer* reg, DataParallel* ranks) {
    opt.zero_grad();
    StepResult r;
    // This rank's rows over the global batch's: 1 in one process.
    const float share = static_cast<float>(batch.x.rows()) / static_cast<float>(batch.size());
    // Dropout draws the global batch's masks and keeps this rank's rows; unset after the step.
    struct Shard {
        nn::Module& model;
        ~Shard() { nn::set_dropout_shard(model, 0, 0); }
    } shard{model};
    if (batch.global_rows) nn::set_dropout_shard(model, batch.first_row, batch.global_rows);
    if (batch.x.rows() > 0) {
        const Tensor logits = model(batch.x);
        const Tensor task = cross_entropy(logits, batch.y);
        const Tensor penalty = reg ? (*reg)(model) : Tensor();
        const Tensor loss = reg ? task + penalty : task;
        HEBB_CHECK(std::isfinite(loss.item()), "the loss is ", loss.item(), " (task ", task.item(), ")");
        (share == 1.0f ? loss : loss * share).backward();
        r = {task.item() * share, reg ? penalty.item() * share : 0.0f, count_correct(logits.value(), batch.y)};
    } else {
        // No rows here (a batch smaller than the job, such as an epoch's last): the forward pass on
        // none still draws the batch's dropout masks, keeping this rank's generator with the others'.
        NoGradGuard no_grad;
        model(batch.x);
    }
    if (ranks) {
        std::array<float, 3> figures{r.loss, r.reg_loss, static_cast<float>(r.correct)};
        ranks->all_reduce(figures);
        r = {figures[0], figures[1], std::lround(figures[2])};
    }
    opt.step();
    return r;
}

EpochStats train_epoch(nn::Module& model, data::DataLoader& loader, optim::Optimizer& opt,
                       const reg::Regularizer* reg, int epoch,
                       const std::function<void(const EpochStats&)>& after_step, DataParallel* ranks) {
    model.train();
    double loss_sum = 0.0, reg_sum = 0.0;
    long correct = 0;
    EpochStats s;
    for (const data::Batch& batch : loader) {
        ++s.steps;
        StepResult r;
        try {
            r = train_step(model, batch, opt, reg, ranks);
        } catch (const Error& e) {
            fail("epoch ", epoch, " step ", s.steps, ": ", e.what());
        }
        const auto b = static_cast<double>(batch.size());
        loss_sum += r.loss * b;
        reg_sum += r.reg_loss * b;
        correct += r.correct;
        s.samples += batch.size();
        s.loss = loss_sum / static_cast<double>(s.samples);
        s.reg_loss = reg_sum / static_cast<double>(s.samples);
        s.accuracy = static_cast<double>(correct) / static_cast<double>(s.samples);
        if (after_step) after_step(s);
    }
    return s;
}

}  // namespace hebb::training
