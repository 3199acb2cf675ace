#include "datasets/loader.h"

#include <algorithm>
#include <numeric>

namespace hebb::data {

DataLoader::DataLoader(const TensorDataset& dataset, Eigen::Index batch_size, bool shuffle,
                       std::uint64_t seed, bool drop_last)
    : dataset_(dataset), batch_size_(batch_size), shuffle_(shuffle), seed_(seed), drop_last_(drop_last) {
    HEBB_CHECK(batch_size > 0, "DataLoader: batch size must be positive, got ", batch_size);
    HEBB_CHECK(static_cast<Eigen::Index>(dataset.labels.size()) == dataset.size(), "DataLoader: ",
               dataset.labels.size(), " labels for ", dataset.size(), " samples");
}

Eigen::Index DataLoader::num_batches() const {
    const Eigen::Index n = dataset_.size();
    return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

void DataLoader::set_shard(int rank, int ranks) {
    HEBB_CHECK(ranks > 0 && rank >= 0 && rank < ranks, "DataLoader: rank ", rank, " of ", ranks, " does not exist");
    rank_ = rank, ranks_ = ranks;
}

DataLoader::Iterator DataLoader::begin() {
    order_.resize(static_cast<size_t>(dataset_.size()));
    std::iota(order_.begin(), order_.end(), 0);
    if (shuffle_) {  // Fisher-Yates with the epoch's own generator
        Generator gen(seed_ + static_cast<std::uint64_t>(epoch_));
        for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[gen.below(i)]);
    }
    ++epoch_;
    return Iterator(this, 0);
}

DataLoader::Iterator::Iterator(const DataLoader* loader, Eigen::Index index)
    : loader_(loader), index_(index) {
    if (loader_ && index_ < loader_->num_batches()) gather();
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
    if (++index_ < loader_->num_batches()) gather();
    return *this;
}

void DataLoader::Iterator::gather() {
    const DataLoader& l = *loader_;
    const Eigen::Index start = index_ * l.batch_size_;
    const Eigen::Index rows = std::min(l.batch_size_, l.dataset_.size() - start);
    const Eigen::Index first = rows * l.rank_ / l.ranks_, last = rows * (l.rank_ + 1) / l.ranks_;
    const std::span<const Eigen::Index> samples(l.order_.data() + start + first, static_cast<size_t>(last - first));
    Pooled x(last - first, l.dataset_.dim());
    l.dataset_.rows(samples, x);
    batch_.y.resize(samples.size());
    for (size_t r = 0; r < samples.size(); ++r) batch_.y[r] = l.dataset_.labels[static_cast<size_t>(samples[r])];
    batch_.x = Tensor(std::move(x));
    batch_.global_rows = rows;
    batch_.first_row = first;
}

}  // namespace hebb::data
