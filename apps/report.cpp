#include "apps/report.h"

#include <fstream>
#include <sstream>

#include "analysis/pictures.h"
#include "apps/commands.h"
#include "core/tensor.h"
#include "io/file.h"
#include "training/run_folder.h"

namespace hebb::app {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

Json maybe(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

std::string fixed_or_dash(const std::optional<double>& v, int decimals) { return v ? fixed(*v, decimals) : "-"; }

// With 4 significant digits at most: 0.001, 3, 1e-05.
std::string general(double v) {
    std::ostringstream s;
    s.precision(4);
    s << v;
    return s.str();
}

Json read_json(const fs::path& path) {
    const Json j = Json::parse(read_file(path.string()), nullptr, false);
    HEBB_CHECK(j.is_object(), path.string(), ": not a JSON object");
    return j;
}

// Everything the report is made of, read from the run folder.
struct Run {
    std::string name;  // the folder's own name
    Json config;
    std::vector<EpochMetrics> epochs;
    TestResult test;
    std::optional<Json> assemblies;  // assemblies/assemblies.json
    std::string assemblies_md;
};

TestResult read_test(const fs::path& path) {
    const Json t = read_json(path);
    training::Evaluation e;
    e.accuracy = t.at("accuracy").get<double>();
    e.loss = t.at("loss").get<double>();
    e.n = t.at("n").get<long>();
    e.per_class = t.at("per_class").get<std::vector<double>>();
    e.confusion = t.at("confusion").get<std::vector<std::vector<long>>>();
    for (const std::vector<long>& row : e.confusion)
        HEBB_CHECK(e.confusion.size() == e.per_class.size() && row.size() == e.per_class.size(), path.string(),
                   ": the confusion matrix is not ", e.per_class.size(), " x ", e.per_class.size(), " (one per class)");
    return {std::move(e), t.at("class_names").get<std::vector<std::string>>(), t.at("tested").get<std::string>(),
            t.at("parameters").get<long>(), t.at("model").get<std::string>(), t.at("seconds").get<double>()};
}

// f(), reading `path`: a field missing or of the wrong type is an error naming the file.
template <class F>
auto reading(const fs::path& path, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Json::exception& e) {
        fail(path.string(), ": ", e.what());
    }
}

Run read_run(const fs::path& folder) {
    const training::RunFiles files{folder};
    Run r{fs::canonical(folder).filename().string(), read_json(files.config()), {}, {}, std::nullopt, {}};
    const fs::path metrics = files.metrics();
    std::istringstream lines(read_file(metrics.string()));
    for (std::string line; std::getline(lines, line);) {
        const Json j = Json::parse(line, nullptr, false);
        HEBB_CHECK(j.is_object(), metrics.string(), ": line ", r.epochs.size() + 1, " is not a JSON object");
        r.epochs.push_back(reading(metrics, [&] { return j.get<EpochMetrics>(); }));
    }
    r.test = reading(files.test(), [&] { return read_test(files.test()); });
    if (fs::is_regular_file(files.assemblies() / "assemblies.json")) {
        r.assemblies = read_json(files.assemblies() / "assemblies.json");
        if (fs::is_regular_file(files.assemblies() / "assemblies.md"))
            r.assemblies_md = read_file((files.assemblies() / "assemblies.md").string());
    }
    return r;
}

// "fm (fashion-mnist, 784-256-128-10, bean1, alpha 3)"
std::string run_title(const Run& r) {
    std::string title = r.name + " (" + r.config.value("data", "?") + ", " + r.config.value("arch", "?");
    const std::string reg = r.config.value("reg", "none");
    if (reg != "none") title += ", " + reg + ", alpha " + general(r.config.value("alpha", 0.0));
    return title + ")";
}

std::string curves_svg(const Run& r) {
    std::vector<double> epochs, train_loss, val_loss, reg_loss, train_acc, val_acc;
    bool has_val = false;
    for (const EpochMetrics& m : r.epochs) {
        epochs.push_back(m.epoch), train_loss.push_back(m.train_loss), reg_loss.push_back(m.reg_loss);
        train_acc.push_back(m.train_acc);
        val_loss.push_back(m.val_loss.value_or(NAN)), val_acc.push_back(m.val_acc.value_or(NAN));
        has_val = has_val || m.val_acc;
    }
    std::vector<analysis::Series> loss{{"train", "#1f77b4", epochs, train_loss}};
    std::vector<analysis::Series> acc{{"train", "#1f77b4", epochs, train_acc}};
    if (has_val) {
        loss.push_back({"validation", "#d62728", epochs, val_loss});
        acc.push_back({"validation", "#d62728", epochs, val_acc});
    }
    if (r.config.value("reg", "none") != "none") loss.push_back({"regularizer", "#2ca02c", epochs, reg_loss});
    return analysis::charts_svg({{"Loss", "epoch", loss, "loss"},
                                 {"Accuracy", "epoch", acc, "accuracy (fraction)"}},
                                2, run_title(r));
}

// A table as both reports write it: cells already formatted, the first column a row's name.
struct Table {
    std::vector<std::string> head;
    std::vector<std::vector<std::string>> rows;
};

std::string markdown(const Table& t) {
    std::string out = "|";
    for (const std::string& h : t.head) out += " " + h + " |";
    out += "\n|";
    for (size_t i = 0; i < t.head.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : t.rows) {
        out += "|";
        for (const std::string& cell : row) out += " " + cell + " |";
        out += "\n";
    }
    return out;
}

std::string html(const Table& t, const std::string& id) {
    std::string out = "<table id='" + id + "'>\n<tr>";
    for (const std::string& h : t.head) out += "<th>" + analysis::xml_escape(h) + "</th>";
    out += "</tr>\n";
    for (const auto& row : t.rows) {
        out += "<tr>";
        for (const std::string& cell : row) out += "<td>" + analysis::xml_escape(cell) + "</td>";
        out += "</tr>\n";
    }
    return out + "</table>\n";
}

Table settings_table(const Run& r) {
    Table t{{"setting", "value"}, {}};
    for (const auto& [key, value] : r.config.items()) t.rows.push_back({key, value.dump()});
    return t;
}

Table epochs_table(const Run& r) {
    Table t{{"epoch", "train loss", "reg loss", "train acc", "val loss", "val acc", "lr", "seconds", "samples/s"}, {}};
    for (const EpochMetrics& m : r.epochs) {
        t.rows.push_back({std::to_string(m.epoch), fixed(m.train_loss, 4), fixed(m.reg_loss, 4), fixed(m.train_acc, 4),
                          fixed_or_dash(m.val_loss, 4), fixed_or_dash(m.val_acc, 4), general(m.lr), fixed(m.seconds, 2),
                          std::to_string(static_cast<long>(m.samples_per_s))});
    }
    return t;
}

// "3 Dress", or "3" where the dataset names no classes.
std::string class_name(const Run& r, size_t c) {
    return std::to_string(c) + (c < r.test.class_names.size() ? " " + r.test.class_names[c] : "");
}

// What follows "Test accuracy: 91.2300 %" (in bold: the line scripts read the test accuracy from).
std::string test_words(const Run& r) {
    const training::Evaluation& e = r.test.evaluation;
    return " (" + std::to_string(e.n) + " samples, loss " + fixed(e.loss, 4) +
           "), measured once on the test split with the " + r.test.tested + " model.";
}

// The pictures hebb assemblies wrote, model's then baseline's, by layer: (heading, file names).
std::vector<std::pair<std::string, std::vector<std::string>>> assembly_pictures(const Json& a) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const Json* m : {&a, a.contains("baseline") ? &a["baseline"] : nullptr}) {
        if (!m) continue;
        for (const Json& l : m->value("layers", Json::array())) {
            std::ostringstream head;
            head.setf(std::ios::fixed);
            head.precision(3);
            head << (m == &a ? "" : "baseline ") << l.value("layer", "?") << ": k = " << l.value("k", 0) << " ("
                 << l.value("structure", "?") << "), modularity Q = " << l.value("modularity", 0.0) << ", mean purity "
                 << l.value("mean_purity", 0.0) << " (chance " << l.value("chance_purity", 0.0) << ")";
            out.emplace_back(head.str(), l.value("pictures", std::vector<std::string>{}));
        }
    }
    return out;
}

std::string report_markdown(const Run& r) {
    std::ostringstream out;
    out << "# hebb training report: " << run_title(r) << "\n\nTest accuracy: **" << fixed(100 * r.test.evaluation.accuracy, 4)
        << " %**" << test_words(r) << "\n\n## Settings\n\n"
        << markdown(settings_table(r)) << "\n## Model\n\n" << r.test.parameters << " parameters\n\n```\n"
        << r.test.model << "\n```\n\n## Training\n\n" << markdown(epochs_table(r)) << "\nTotal time "
        << fixed(r.test.seconds, 4) << " s.\n\n![loss and accuracy by epoch](curves.svg)\n\n## Test set\n\n"
        << training::evaluation_markdown(r.test.evaluation, r.test.class_names);
    if (r.assemblies) {
        out << "\n## Assemblies\n\nOf " << r.assemblies->value("model", "?")
            << " by hebb assemblies; its numbers are in [assemblies/assemblies.md](assemblies/assemblies.md).\n";
        for (const auto& [head, files] : assembly_pictures(*r.assemblies)) {
            out << "\n" << head << "\n\n";
            for (const std::string& f : files) out << "![" << f << "](assemblies/" << f << ")\n";
        }
    }
    return out.str();
}

// The confusion matrix with each cell shaded by its share of its row (its true class).
std::string confusion_html(const Run& r) {
    const training::Evaluation& e = r.test.evaluation;
    std::ostringstream out;
    out << "<table id='confusion'>\n<tr><th>true \\ predicted</th>";
    for (size_t c = 0; c < e.confusion.size(); ++c)
        out << "<th title='" << analysis::xml_escape(class_name(r, c)) << "'>" << c << "</th>";
    out << "</tr>\n";
    for (size_t t = 0; t < e.confusion.size(); ++t) {
        long total = 0;
        for (long v : e.confusion[t]) total += v;
        out << "<tr><th>" << analysis::xml_escape(class_name(r, t)) << "</th>";
        for (size_t p = 0; p < e.confusion[t].size(); ++p) {
            const long v = e.confusion[t][p];
            const double share = total ? static_cast<double>(v) / static_cast<double>(total) : 0.0;
            out << "<td style='background:rgba(31,119,180," << fixed(share, 3) << ")"
                << (share > 0.5 ? ";color:white" : "") << "' title='true " << analysis::xml_escape(class_name(r, t))
                << ", predicted " << analysis::xml_escape(class_name(r, p)) << ": " << fixed(100 * share, 1)
                << " %'>" << v << "</td>";
        }
        out << "</tr>\n";
    }
    return out.str() + "</table>\n";
}

constexpr const char* style = R"(body{font-family:sans-serif;color:#222;max-width:62rem;margin:1.5rem auto;padding:0 1rem;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.15rem .5rem;text-align:right}th{background:#f3f3f3}
th:first-child,td:first-child{text-align:left}#confusion td{text-align:center;min-width:2.2rem}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;font-size:.8rem}
svg,img{max-width:100%;height:auto}figure{margin:1rem 0}figcaption{font-size:.8rem;color:#555}
.headline{font-size:1.1rem})";

std::string report_html(const Run& r, const std::string& curves, const fs::path& folder) {
    const auto esc = analysis::xml_escape;
    const training::Evaluation& e = r.test.evaluation;
    Table per_class{{"class", "accuracy", "samples"}, {}};
    for (size_t c = 0; c < e.per_class.size(); ++c) {
        long n = 0;
        for (long v : e.confusion[c]) n += v;
        per_class.rows.push_back({class_name(r, c), fixed(e.per_class[c], 4), std::to_string(n)});
    }
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n<title>hebb run "
        << esc(run_title(r)) << "</title>\n<style>\n" << style << "\n</style>\n</head>\n<body>\n"
        << "<h1>hebb training report: " << esc(run_title(r)) << "</h1>\n<p class='headline'>Test accuracy: <b>" << fixed(100 * e.accuracy, 4)
        << " %</b>" << esc(test_words(r)) << "</p>\n"
        << "<h2>Curves</h2>\n" << curves.substr(curves.find("<svg")) << "<h2>Settings</h2>\n"
        << html(settings_table(r), "settings") << "<h2>Model</h2>\n<p>" << r.test.parameters
        << " parameters</p>\n<pre>" << esc(r.test.model) << "</pre>\n<h2>Training</h2>\n"
        << html(epochs_table(r), "epochs") << "<p>Total time " << fixed(r.test.seconds, 4) << " s.</p>\n"
        << "<h2>Test set</h2>\n<h3>Per-class accuracy</h3>\n" << html(per_class, "per-class")
        << "<h3>Confusion matrix</h3>\n<p>Rows: true class, columns: predicted class; shaded by the share of the "
           "row.</p>\n" << confusion_html(r);
    if (r.assemblies) {
        out << "<h2>Assemblies</h2>\n<p>Of " << esc(r.assemblies->value("model", "?")) << " by hebb assemblies.</p>\n";
        for (const auto& [heading, files] : assembly_pictures(*r.assemblies)) {
            out << "<h3>" << esc(heading) << "</h3>\n";
            for (const std::string& f : files) {
                const fs::path path = training::RunFiles(folder).assemblies() / fs::path(f).filename();
                if (!fs::is_regular_file(path)) continue;
                const std::string type = path.extension() == ".svg" ? "image/svg+xml" : "image/png";
                out << "<figure><img alt='" << esc(f) << "' src='data:" << type << ";base64,"
                    << analysis::base64(read_file(path.string())) << "'><figcaption>" << esc(f)
                    << "</figcaption></figure>\n";
            }
        }
        if (!r.assemblies_md.empty())
            out << "<details><summary>assemblies.md</summary>\n<pre>" << esc(r.assemblies_md) << "</pre></details>\n";
    }
    out << "</body>\n</html>\n";
    return out.str();
}

}  // namespace

void to_json(Json& j, const EpochMetrics& m) {
    j = {{"epoch", m.epoch}, {"train_loss", m.train_loss}, {"reg_loss", m.reg_loss}, {"train_acc", m.train_acc},
         {"val_loss", maybe(m.val_loss)}, {"val_acc", maybe(m.val_acc)}, {"lr", m.lr}, {"seconds", m.seconds},
         {"samples_per_s", m.samples_per_s}};
}

void from_json(const Json& j, EpochMetrics& m) {
    const auto optional = [&](const char* key) {
        return j.contains(key) && !j[key].is_null() ? std::optional<double>(j[key].get<double>()) : std::nullopt;
    };
    m = {j.at("epoch"), j.at("train_loss"), j.at("reg_loss"), j.at("train_acc"), optional("val_loss"),
         optional("val_acc"), j.at("lr"), j.at("seconds"), j.at("samples_per_s")};
}

void write_test(const fs::path& run, const TestResult& t) {
    const training::Evaluation& e = t.evaluation;
    const Json j = {{"accuracy", e.accuracy}, {"loss", e.loss}, {"n", e.n}, {"per_class", e.per_class},
                    {"confusion", e.confusion}, {"class_names", t.class_names}, {"tested", t.tested},
                    {"parameters", t.parameters}, {"model", t.model}, {"seconds", t.seconds}};
    write_file_atomic(training::RunFiles(run).test().string(), j.dump(1) + "\n");
}

bool is_finished_run(const fs::path& folder) {
    const training::RunFiles run{folder};
    return fs::is_regular_file(run.config()) && fs::is_regular_file(run.metrics()) && fs::is_regular_file(run.test());
}

void write_report(const fs::path& folder) {
    const Run r = read_run(folder);
    const std::string curves = curves_svg(r);
    const training::RunFiles files{folder};
    write_file_atomic(files.curves().string(), curves);
    write_file_atomic(files.report_md().string(), report_markdown(r));
    write_file_atomic(files.report_html().string(), report_html(r, curves, folder));
}

}  // namespace hebb::app
