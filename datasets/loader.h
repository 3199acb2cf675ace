// Minibatches over a dataset: for (const data::Batch& b : loader) { ... } is one epoch.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/dataset.h"

namespace hebb::data {

struct Batch {
    Tensor x;             // (B x D)
    std::vector<int> y;   // B labels
    // With DataLoader::set_shard, x and y are this rank's part (possibly none), from row first_row
    // on, of a batch of global_rows rows over all ranks; 0: they are the whole batch.
    Eigen::Index global_rows = 0, first_row = 0;
    Eigen::Index size() const { return global_rows ? global_rows : x.rows(); }  // the whole batch's rows
};

class DataLoader {
public:
    // With shuffle, epoch e visits the samples in an order drawn from seed + e; without, in the
    // dataset's order. The last batch is smaller unless drop_last.
    DataLoader(const TensorDataset& dataset, Eigen::Index batch_size, bool shuffle = false,
               std::uint64_t seed = 0, bool drop_last = false);
    // The loader keeps a reference to the dataset, which a temporary would leave dangling: keep the
    // dataset in a variable that outlives the loader.
    DataLoader(TensorDataset&&, Eigen::Index, bool = false, std::uint64_t = 0, bool = false) = delete;

    Eigen::Index num_batches() const;
    std::int64_t epoch() const { return epoch_; }
    void set_epoch(std::int64_t epoch) { epoch_ = epoch; }  // the next pass is this epoch
    // Data parallelism: every rank draws the same batches, and of a batch of B rows keeps its own,
    // rows [B rank / ranks, B (rank + 1) / ranks), in the batch's order.
    void set_shard(int rank, int ranks);

    class Iterator {
    public:
        const Batch& operator*() const { return batch_; }
        Iterator& operator++();
        bool operator!=(const Iterator& other) const { return index_ != other.index_; }

    private:
        friend class DataLoader;
        Iterator(const DataLoader* loader, Eigen::Index index);
        void gather();
        const DataLoader* loader_;
        Eigen::Index index_;
        Batch batch_;
    };
    Iterator begin();  // starts the next epoch
    Iterator end() const { return Iterator(nullptr, num_batches()); }

private:
    const TensorDataset& dataset_;
    Eigen::Index batch_size_;
    bool shuffle_;
    std::uint64_t seed_;
    bool drop_last_;
    std::int64_t epoch_ = 0;
    int rank_ = 0, ranks_ = 1;
    std::vector<Eigen::Index> order_;
};

}  // namespace hebb::data
