#include "optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hebb::optim {

void LRScheduler::set_epoch(std::int64_t epoch) {
    HEBB_CHECK(epoch >= 0, "scheduler: epoch must be >= 0, got ", epoch);
    epoch_ = epoch;
    opt_.set_lr(lr_at(epoch));
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    HEBB_CHECK(step_size > 0 && gamma > 0.0, "StepLR: step_size and gamma must be positive");
}

double StepLR::lr_at(std::int64_t epoch) const {
    return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
    HEBB_CHECK(gamma > 0.0, "ExponentialLR: gamma must be positive, got ", gamma);
}

double ExponentialLR::lr_at(std::int64_t epoch) const {
    return base_lr_ * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    HEBB_CHECK(t_max > 0 && eta_min >= 0.0, "CosineAnnealingLR: t_max must be positive and eta_min >= 0");
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
    const double t = static_cast<double>(epoch);
    return eta_min_ + (base_lr_ - eta_min_) * (1.0 + std::cos(std::numbers::pi * t / static_cast<double>(t_max_))) / 2.0;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
    : LRScheduler(optimizer), start_(start_factor), end_(end_factor), total_(total_iters) {
    HEBB_CHECK(start_factor > 0.0 && start_factor <= 1.0 && end_factor >= 0.0 && end_factor <= 1.0 &&
                   total_iters > 0,
               "LinearLR: factors must be in (0, 1] and [0, 1], total_iters positive");
    opt_.set_lr(lr_at(0));
}

double LinearLR::lr_at(std::int64_t epoch) const {
    const double t = static_cast<double>(std::min(epoch, total_));
    return base_lr_ * (start_ + (end_ - start_) * t / static_cast<double>(total_));
}

}  // namespace hebb::optim
