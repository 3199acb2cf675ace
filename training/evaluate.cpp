#include "training/evaluate.h"

#include "core/ops.h"
#include "datasets/loader.h"

#include <cmath>
#include <sstream>

namespace hebb::training {

long count_correct(const Matrix& logits, std::span<const int> labels) {
    HEBB_CHECK(static_cast<Eigen::Index>(labels.size()) == logits.rows(), "count_correct: ", labels.size(),
               " labels for ", shape_str(logits), " logits");
    long correct = 0;
    for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        Eigen::Index best;
        logits.row(i).maxCoeff(&best);
        correct += best == labels[static_cast<size_t>(i)];
    }
    return correct;
}

double accuracy(const Tensor& logits, std::span<const int> labels) {
    HEBB_CHECK(logits.rows() > 0, "accuracy: no rows in ", logits.shape(), " logits");
    return static_cast<double>(count_correct(logits.value(), labels)) / static_cast<double>(logits.rows());
}

Evaluation evaluate(nn::Module& model, const data::TensorDataset& d, Eigen::Index batch_size) {
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    const auto classes = static_cast<size_t>(d.classes);
    Evaluation e;
    e.confusion.assign(classes, std::vector<long>(classes, 0));
    double loss_sum = 0.0;
    data::DataLoader loader(d, batch_size);
    for (const data::Batch& batch : loader) {
        const Tensor logits = model(batch.x);
        HEBB_CHECK(logits.cols() == d.classes, "evaluate: the model gives ", logits.cols(),
                   " outputs for ", d.classes, " classes");
        loss_sum += cross_entropy(logits, batch.y).item() * static_cast<double>(batch.x.rows());
        for (Eigen::Index i = 0; i < logits.rows(); ++i) {
            Eigen::Index best;
            logits.value().row(i).maxCoeff(&best);
            ++e.confusion[static_cast<size_t>(batch.y[static_cast<size_t>(i)])][static_cast<size_t>(best)];
        }
    }
    model.train(was_training);
    e.n = static_cast<long>(d.size());
    long correct = 0;
    for (size_t c = 0; c < classes; ++c) {
        long total = 0;
        for (long v : e.confusion[c]) total += v;
        correct += e.confusion[c][c];
        e.per_class.push_back(total ? static_cast<double>(e.confusion[c][c]) / static_cast<double>(total) : 0.0);
    }
    e.loss = e.n ? loss_sum / static_cast<double>(e.n) : 0.0;
    e.accuracy = e.n ? static_cast<double>(correct) / static_cast<double>(e.n) : 0.0;
    return e;
}

std::string evaluation_markdown(const Evaluation& e, const std::vector<std::string>& names) {
    const auto name = [&](size_t c) { return c < names.size() ? names[c] : std::to_string(c); };
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(4);
    out << "| class | accuracy |\n|---|---|\n";
    for (size_t c = 0; c < e.per_class.size(); ++c) out << "| " << name(c) << " | " << e.per_class[c] << " |\n";
    out << "\nConfusion matrix (rows: true class, columns: predicted class)\n\n| |";
    for (size_t c = 0; c < e.confusion.size(); ++c) out << " " << c << " |";
    out << "\n|---|";
    for (size_t c = 0; c < e.confusion.size(); ++c) out << "---|";
    out << "\n";
    for (size_t r = 0; r < e.confusion.size(); ++r) {
        out << "| " << r << " " << name(r) << " |";
        for (long v : e.confusion[r]) out << " " << v << " |";
        out << "\n";
    }
    return out.str();
}

}  // namespace hebb::training
