// Reading tests/fixtures/torch_reference.json (made by tests/fixtures/make_fixtures.py), comparing
// hebb's matrices with PyTorch's entry by entry (a failure lists the differing entries, up to a dozen)
// and building the optimizers the fixtures name. Shared by test_torch_reference.cpp and test_lenet5.cpp.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hebb.h"

using hebb::Matrix;
using nlohmann::json;

constexpr double kRel = 1e-5;  // relative tolerance against PyTorch
constexpr double kAbs = 1e-6;  // absolute floor, for values near zero

inline const json& reference() {
    static const json ref = [] {
        const std::string path = HEBB_FIXTURES "/torch_reference.json";
        std::ifstream in(path);
        if (!in) hebb::fail("cannot open ", path, " (run tests/fixtures/make_fixtures.py)");
        return json::parse(in);
    }();
    return ref;
}

// A nested list of rows -> Matrix.
inline Matrix to_matrix(const json& rows) {
    HEBB_CHECK(rows.is_array() && !rows.empty() && rows[0].is_array(), "fixture: not a matrix: ",
               rows.dump().substr(0, 80));
    Matrix m(rows.size(), rows[0].size());
    for (size_t i = 0; i < rows.size(); ++i) {
        HEBB_CHECK(rows[i].size() == rows[0].size(), "fixture: ragged matrix");
        for (size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j].get<float>();
    }
    return m;
}

// Every entry of `got` within max(abs, rel |want|) of `want`; the failure lists the entries.
inline void check_close(const Matrix& got, const Matrix& want, const std::string& what,
                 double rel = kRel, double abs = kAbs) {
    INFO(what);
    INFO("hebb " << hebb::shape_str(got) << " vs torch " << hebb::shape_str(want));
    REQUIRE(got.rows() == want.rows());
    REQUIRE(got.cols() == want.cols());
    std::ostringstream report;
    int bad = 0;
    double worst = 0.0;
    for (Eigen::Index i = 0; i < want.rows(); ++i)
        for (Eigen::Index j = 0; j < want.cols(); ++j) {
            const double g = got(i, j), w = want(i, j);
            const double tol = std::max(abs, rel * std::abs(w));
            const double diff = std::abs(g - w);
            if (!(diff <= tol)) {  // NaN fails too
                if (bad < 12)
                    report << std::setprecision(9) << "  [" << i << "," << j << "] hebb " << g
                           << " torch " << w << std::setprecision(3) << " |diff| " << diff
                           << " > tol " << tol << "\n";
                ++bad;
                worst = std::max(worst, std::isnan(diff) ? INFINITY : diff);
            }
        }
    INFO(bad << " of " << want.size() << " entries differ, worst |diff| " << worst << ":\n"
              << report.str());
    CHECK(bad == 0);
}

inline void check_close(double got, double want, const std::string& what, double rel = kRel,
                 double abs = kAbs) {
    check_close(Matrix::Constant(1, 1, static_cast<float>(got)),
                Matrix::Constant(1, 1, static_cast<float>(want)), what, rel, abs);
}

// Fails on an option name this test (and hebb) does not know, so a typo cannot pass silently.
inline void check_keys(const json& options, const std::set<std::string>& known, const std::string& what) {
    for (const auto& [key, value] : options.items()) {
        INFO(what << ": option '" << key << "'");
        CHECK(known.count(key) == 1);
    }
}

// An optimizer as a fixture names it: kind "SGD", "Adam", "AdamW" or "RMSprop" and PyTorch's options
// by name; options left out take hebb's defaults, which must be PyTorch's.
inline std::unique_ptr<hebb::optim::Optimizer> make_optimizer(const std::string& kind, const json& o,
                                                               std::vector<hebb::Tensor> params,
                                                               const std::string& what) {
    if (kind == "SGD") {
        check_keys(o, {"lr", "momentum", "dampening", "weight_decay", "nesterov"}, what);
        hebb::optim::SGDOptions s;
        s.lr = o.at("lr").get<double>();
        s.momentum = o.value("momentum", s.momentum);
        s.dampening = o.value("dampening", s.dampening);
        s.weight_decay = o.value("weight_decay", s.weight_decay);
        s.nesterov = o.value("nesterov", s.nesterov);
        return std::make_unique<hebb::optim::SGD>(std::move(params), s);
    }
    if (kind == "Adam" || kind == "AdamW") {
        check_keys(o, {"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"}, what);
        hebb::optim::AdamOptions a;
        a.lr = o.value("lr", a.lr);
        a.beta1 = o.value("beta1", a.beta1);
        a.beta2 = o.value("beta2", a.beta2);
        a.eps = o.value("eps", a.eps);
        if (o.contains("weight_decay")) a.weight_decay = o["weight_decay"].get<double>();
        a.amsgrad = o.value("amsgrad", a.amsgrad);
        if (kind == "Adam") return std::make_unique<hebb::optim::Adam>(std::move(params), a);
        return std::make_unique<hebb::optim::AdamW>(std::move(params), a);
    }
    if (kind == "RMSprop") {
        check_keys(o, {"lr", "alpha", "eps", "weight_decay", "momentum", "centered"}, what);
        hebb::optim::RMSpropOptions r;
        r.lr = o.value("lr", r.lr);
        r.alpha = o.value("alpha", r.alpha);
        r.eps = o.value("eps", r.eps);
        r.weight_decay = o.value("weight_decay", r.weight_decay);
        r.momentum = o.value("momentum", r.momentum);
        r.centered = o.value("centered", r.centered);
        return std::make_unique<hebb::optim::RMSprop>(std::move(params), r);
    }
    hebb::fail("fixture: unknown optimizer ", kind);
}
