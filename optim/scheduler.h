// Learning-rate schedules, as closed forms of the epoch count (PyTorch's formulas): step() once per
// epoch sets the optimizer's lr to lr_at(epoch).
#pragma once

#include "optim/optimizer.h"

namespace hebb::optim {

class LRScheduler {
public:
    explicit LRScheduler(Optimizer& optimizer) : opt_(optimizer), base_lr_(optimizer.lr()) {}
    virtual ~LRScheduler() = default;
    void step() { set_epoch(epoch_ + 1); }
    void set_epoch(std::int64_t epoch);  // jumps there, as a resumed run does
    std::int64_t epoch() const { return epoch_; }
    virtual double lr_at(std::int64_t epoch) const = 0;

protected:
    Optimizer& opt_;
    double base_lr_;

private:
    std::int64_t epoch_ = 0;
};

// lr = base gamma^floor(epoch / step_size)
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
    double lr_at(std::int64_t epoch) const override;

private:
    std::int64_t step_size_;
    double gamma_;
};

// lr = base gamma^epoch
class ExponentialLR : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);
    double lr_at(std::int64_t epoch) const override;

private:
    double gamma_;
};

// lr = eta_min + (base - eta_min) (1 + cos(pi epoch / t_max)) / 2; past t_max it rises again, as in
// PyTorch (a period of 2 t_max)
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);
    double lr_at(std::int64_t epoch) const override;

private:
    std::int64_t t_max_;
    double eta_min_;
};

// Linear warm-up: lr = base (start + (end - start) min(epoch, total_iters) / total_iters)
class LinearLR : public LRScheduler {
public:
    LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3.0, double end_factor = 1.0,
             std::int64_t total_iters = 5);
    double lr_at(std::int64_t epoch) const override;

private:
    double start_, end_;
    std::int64_t total_;
};

}  // namespace hebb::optim
