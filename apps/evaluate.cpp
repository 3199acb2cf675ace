#include "apps/evaluate.h"

#include <cmath>
#include <sstream>

namespace hebb::app {

long count_correct(const Matrix& logits, std::span<const int> labels) {
    long correct = 0;
    for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        Eigen::Index best;
        logits.row(i).maxCoeff(&best);
        correct += best == labels[static_cast<size_t>(i)];
    }
    return correct;
}

EpochStats train_epoch(nn::Module& model, data::DataLoader& loader, optim::Optimizer& opt,
                       const reg::Regularizer* reg, int epoch,
                       const std::function<void(const EpochStats&)>& after_step) {
    model.train();
    const auto params = model.named_parameters();
    double loss_sum = 0.0, reg_sum = 0.0;
    long correct = 0;
    EpochStats s;
    for (const data::Batch& batch : loader) {
        opt.zero_grad();
        const Tensor logits = model(batch.x);
        const Tensor task = cross_entropy(logits, batch.y);
        const Tensor penalty = reg ? (*reg)(model) : Tensor();
        const Tensor loss = reg ? task + penalty : task;
        ++s.steps;
        HEBB_CHECK(std::isfinite(loss.item()), "epoch ", epoch, " step ", s.steps, ": the loss is ", loss.item(),
                   " (task ", task.item(), "); try a smaller --lr or --alpha",
                   detect_anomaly() ? "" : ", or --detect-anomaly to find the op");
        loss.backward();
        for (const auto& [name, p] : params)
            HEBB_CHECK(p.grad().size() == 0 || p.grad().allFinite(), "epoch ", epoch, " step ", s.steps,
                       ": the gradient of ", name, " is not finite; try a smaller --lr or --alpha",
                       detect_anomaly() ? "" : ", or --detect-anomaly to find the op");
        opt.step();
        const auto b = static_cast<double>(batch.x.rows());
        loss_sum += task.item() * b;
        reg_sum += reg ? penalty.item() * b : 0.0;
        correct += count_correct(logits.value(), batch.y);
        s.samples += batch.x.rows();
        s.loss = loss_sum / static_cast<double>(s.samples);
        s.reg_loss = reg_sum / static_cast<double>(s.samples);
        s.accuracy = static_cast<double>(correct) / static_cast<double>(s.samples);
        if (after_step) after_step(s);
    }
    return s;
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

}  // namespace hebb::app
