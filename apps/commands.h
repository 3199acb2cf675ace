// The subcommands of the hebb command: each adds its options to the parser and returns the
// function that runs it once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "parallel/communicator.h"

namespace hebb::training {
struct Checkpoint;
}
namespace hebb::data {
struct TensorDataset;
}

namespace hebb::app {

using Command = std::function<int()>;

// A bad command line: a flag's value, or flags that do not go together, found after parsing. main
// prints it as "error: <message>; see hebb <command> --help" and exits 2; any other error exits 1.
struct UsageError : Error {
    using Error::Error;
    bool reported_by_rank_0 = false;  // see check_on_all_ranks
};

template <class... Parts>
[[noreturn]] void usage_error(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    throw UsageError(out.str());
}

// Throws a UsageError unless `ok`; the message says what is wrong and, where it helps, what to do.
template <class... Parts>
void check_usage(bool ok, const Parts&... parts) {
    if (!ok) usage_error(parts...);
}

// Under MPI, a check that every rank makes on the same facts (settings the ranks agree on): rank 0
// says what is wrong, the others end silently with it, so the message is printed once.
template <class... Parts>
void check_on_all_ranks(bool ok, const Parts&... parts) {
    if (ok) return;
    std::ostringstream out;
    (out << ... << parts);
    UsageError e(out.str());
    e.reported_by_rank_0 = parallel::rank() > 0;
    throw e;
}

// f(), a library call that reads `flag`'s value: the hebb::Error it throws is a bad command line.
template <class F>
auto reading_flag(const std::string& flag, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        usage_error(flag, ": ", e.what());
    }
}

// Refuses settings that differ between the ranks of an MPI job (a command line given per rank with
// mpirun's ':'), naming the first that differs; `settings` is a flat JSON object of them.
void check_same_settings(const std::string& settings);

// The number `text` holds in full and finite, or nothing ("nan", "inf", "1e999", "3x" are not).
std::optional<double> finite_number(const std::string& text);

// Number checks whose messages read well ("--lr: must be positive, got 0"); CLI11's own print
// their range's bounds in full. nan and inf are refused by all of them.
inline CLI::Validator number_check(std::function<bool(double)> ok, const std::string& words, const std::string& name) {
    return CLI::Validator(
        [=](std::string& text) {
            const std::optional<double> v = finite_number(text);
            return v && ok(*v) ? std::string() : "must be " + words + ", got " + text;
        },
        name);
}
inline const CLI::Validator positive = number_check([](double v) { return v > 0.0; }, "positive", "POSITIVE");
inline const CLI::Validator non_negative = number_check([](double v) { return v >= 0.0; }, "non-negative", "NON-NEGATIVE");
// An upper bound where one is natural; also stops a number too large for the option's type.
inline CLI::Validator at_most(double bound) {
    std::ostringstream words;
    words << std::setprecision(15) << "at most " << bound;  // 1000000, not 1e+06
    return number_check([=](double v) { return v <= bound; }, words.str(), "");
}
// A closed range, for probabilities and the like.
inline CLI::Validator in_range(double low, double high) {
    std::ostringstream words;
    words << std::setprecision(15) << "in [" << low << ", " << high << "]";
    return number_check([=](double v) { return v >= low && v <= high; }, words.str(), "");
}

// The most threads any subcommand takes (more than any machine hebb runs on has cores).
inline constexpr int max_threads = 1024;

// x with `digits` decimals: fixed(0.91234, 2) -> "0.91", for tables and reports.
std::string fixed(double x, int digits);

// "a,b,c" -> {"a", "b", "c"}, for flags that take lists.
std::vector<std::string> split_list(const std::string& text);
// "1,5,10" -> {1, 5, 10}; an item that is not a positive whole number is an error naming `flag`.
std::vector<int> positive_ints(const std::string& text, const std::string& flag);

// Whether samples shaped `data` fit a model taking `model`: as many values, and for a model on
// images (a conv net: not N x 1 x 1) the same channels, height and width.
bool fits(ImageShape model, ImageShape data);

// --data of the commands that run a checkpoint (eval, prune, assemblies), and the dataset it names:
// the flag's value when given, else the dataset the checkpoint records it was trained on (metadata
// "data", written by hebb train); a checkpoint recording none needs the flag.
inline constexpr const char* data_of_model_help =
    "fashion-mnist, mnist, csv:PATH, images:DIR or spirals (default: the dataset the model was trained on)";
std::string data_for(const training::Checkpoint& model, const std::string& path, const std::string& given);
// Refuses a dataset whose samples or classes the model at `path` does not fit, naming both.
void check_fits(const training::Checkpoint& model, const std::string& path, const data::TensorDataset& d,
                const std::string& data);

Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_inspect(CLI::App& app);
Command add_assemblies(CLI::App& app);
Command add_prune(CLI::App& app);
Command add_fewshot(CLI::App& app);
Command add_bench(CLI::App& app);

}  // namespace hebb::app
