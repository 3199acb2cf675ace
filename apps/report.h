// A training run's report, made from the files in its folder alone: config.json, metrics.jsonl,
// test.json, and assemblies/ when hebb assemblies wrote there. It is written as curves.svg,
// report.md and report.html (one file that opens offline: inline CSS and SVG, pictures as data:
// URIs, no script), so any command can write it again without training and it always agrees with
// the files it was made from.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "training/evaluate.h"

namespace hebb::app {

// One line of metrics.jsonl: an epoch of training. Accuracies are fractions; without a validation
// split val_loss and val_acc are null.
struct EpochMetrics {
    int epoch = 0;
    double train_loss = 0, reg_loss = 0, train_acc = 0;
    std::optional<double> val_loss, val_acc;
    double lr = 0, seconds = 0, samples_per_s = 0;
};
void to_json(nlohmann::json& j, const EpochMetrics& m);
// A line written before val_loss was recorded reads as one without it.
void from_json(const nlohmann::json& j, EpochMetrics& m);

// What test.json holds: the test split's one evaluation at the end of a run, and what was tested.
struct TestResult {
    training::Evaluation evaluation;
    std::vector<std::string> class_names;
    std::string tested;     // the model evaluated: "best-validation" or "last"
    long parameters = 0;
    std::string model;      // its printed form
    double seconds = 0;     // the run's time up to this evaluation
};
void write_test(const std::filesystem::path& run, const TestResult& test);

// Whether `folder` holds a finished training run: config.json, metrics.jsonl and test.json.
bool is_finished_run(const std::filesystem::path& folder);

// Writes curves.svg, report.md and report.html into the finished run folder `run` from its files.
void write_report(const std::filesystem::path& run);

}  // namespace hebb::app
