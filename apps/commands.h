// The subcommands of the hebb command: each adds its options to the parser and returns the
// function that runs it once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace hebb::app {

using Command = std::function<int()>;

// A bad command line: a flag's value, or flags that do not go together, found after parsing. main
// prints it as "error: <message>; see hebb <command> --help" and exits 2; any other error exits 1.
struct UsageError : Error {
    using Error::Error;
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

// Number checks whose messages read well ("--lr: must be positive, got 0"); CLI11's own print
// their range's bounds in full.
inline CLI::Validator number_above(double bound, bool inclusive, const std::string& words) {
    return CLI::Validator(
        [=](std::string& text) {
            try {
                size_t used = 0;
                const double v = std::stod(text, &used);
                if (used == text.size() && (v > bound || (inclusive && v == bound))) return std::string();
            } catch (const std::exception&) {
            }
            return "must be " + words + ", got " + text;
        },
        words == "positive" ? "POSITIVE" : "NON-NEGATIVE");
}
inline const CLI::Validator positive = number_above(0.0, false, "positive");
inline const CLI::Validator non_negative = number_above(0.0, true, "non-negative");

// "a,b,c" -> {"a", "b", "c"}, for flags that take lists.
std::vector<std::string> split_list(const std::string& text);
// "1,5,10" -> {1, 5, 10}; an item that is not a positive whole number is an error naming `flag`.
std::vector<int> positive_ints(const std::string& text, const std::string& flag);

Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_inspect(CLI::App& app);
Command add_assemblies(CLI::App& app);
Command add_prune(CLI::App& app);
Command add_fewshot(CLI::App& app);
Command add_bench(CLI::App& app);

}  // namespace hebb::app
