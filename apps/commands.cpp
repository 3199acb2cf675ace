#include "apps/commands.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "datasets/dataset.h"
#include "training/checkpoint.h"

namespace hebb::app {

std::optional<double> finite_number(const std::string& text) {
    double v = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::string fixed(double x, int digits) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", digits, x);
    return buf;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) out.push_back(item);
    return out;
}

std::vector<int> positive_ints(const std::string& text, const std::string& flag) {
    std::vector<int> out;
    for (const std::string& item : split_list(text)) {
        int v = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        check_usage(ec == std::errc() && end == item.data() + item.size() && v > 0, flag, ": '", item,
                   "' is not a positive whole number");
        out.push_back(v);
    }
    check_usage(!out.empty(), flag, ": needs at least one number");
    return out;
}

void check_same_settings(const std::string& settings) {
    const std::vector<std::string> all = parallel::all_gather(settings);
    const nlohmann::json mine = nlohmann::json::parse(all[0]);
    for (size_t r = 1; r < all.size(); ++r) {
        const nlohmann::json theirs = nlohmann::json::parse(all[r]);
        for (const auto& [key, value] : mine.items())
            check_on_all_ranks(theirs.value(key, nlohmann::json()) == value, "the ranks of this job differ in their ", key,
                               ": rank 0 has ", value.dump(), ", rank ", r, " ", theirs.value(key, nlohmann::json()).dump(),
                               "; every rank must run the same command");
    }
}

bool fits(ImageShape model, ImageShape data) {
    return model.height == 1 && model.width == 1 ? model.size() == data.size() : model == data;
}

std::string data_for(const training::Checkpoint& model, const std::string& path, const std::string& given) {
    if (!given.empty()) return given;
    const auto recorded = model.notes.find("data");
    check_usage(recorded != model.notes.end(), path, " does not record the dataset it was trained on (a file from "
                "another program or an older hebb); give --data");
    return recorded->second;
}

void check_fits(const training::Checkpoint& model, const std::string& path, const data::TensorDataset& d,
                const std::string& data) {
    const auto recorded = model.notes.find("data");
    check_usage(fits(model.input, d.image) && model.output.size() == d.classes, path, ": the model takes ",
                model.input.values(), " inputs and gives ", model.output.size(), " outputs; ", data, " has ",
                d.image.values(), " features and ", d.classes, " classes; pick the --data it was trained on",
                recorded == model.notes.end() ? "" : " (" + recorded->second + ")");
}

}  // namespace hebb::app
