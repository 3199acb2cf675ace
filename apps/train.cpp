// hebb train: trains a model (an MLP or a conv net), writing its configuration, metrics, checkpoints, curves and report to
// --out; --resume continues such a run exactly where its last checkpoint left it.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "apps/commands.h"
#include "apps/progress.h"
#include "apps/report.h"
#include "hebb.h"

namespace hebb::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Config {
    std::string data = "fashion-mnist";
    std::string arch = "784-256-128-10";
    std::string act = "relu";
    float dropout = 0.0f;
    std::string optimizer = "adam";
    double lr = 1e-3;
    double momentum = 0.0;
    double weight_decay = 0.0;
    std::string schedule = "none";
    int epochs = 10;
    int batch_size = 64;
    long val = 0;
    long subset = 0;
    bool shuffle = true;
    std::uint64_t seed = 0;
    std::string init;
    std::string reg = "none";
    float alpha = 0.0f;
    float gamma = 1.0f;
    std::string bean_layers = "hidden";
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Config, data, arch, act, dropout, optimizer, lr, momentum,
                                                weight_decay, schedule, epochs, batch_size, val, subset,
                                                shuffle, seed, init, reg, alpha, gamma, bean_layers)

std::unique_ptr<optim::Optimizer> make_optimizer(const Config& c, std::vector<Tensor> params) {
    if (c.optimizer == "sgd")
        return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = c.lr, .momentum = c.momentum,
                                                                      .weight_decay = c.weight_decay});
    if (c.optimizer == "rmsprop")
        return std::make_unique<optim::RMSprop>(params, optim::RMSpropOptions{.lr = c.lr, .weight_decay = c.weight_decay,
                                                                              .momentum = c.momentum});
    const optim::AdamOptions adam{.lr = c.lr, .weight_decay = c.weight_decay};
    if (c.optimizer == "adamw") return std::make_unique<optim::AdamW>(params, adam);
    return std::make_unique<optim::Adam>(params, adam);
}

std::unique_ptr<optim::LRScheduler> make_schedule(const Config& c, optim::Optimizer& opt) {
    if (c.schedule == "step") return std::make_unique<optim::StepLR>(opt, std::max(1, c.epochs / 3), 0.1);
    if (c.schedule == "exp") return std::make_unique<optim::ExponentialLR>(opt, 0.95);
    if (c.schedule == "cosine") return std::make_unique<optim::CosineAnnealingLR>(opt, c.epochs);
    return nullptr;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    HEBB_CHECK(in, path.string(), ": cannot read");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The metrics lines of epochs up to `last_epoch`, so a resumed run does not repeat any.
std::string metrics_until(const fs::path& path, int last_epoch) {
    std::ifstream in(path);
    std::string kept, line;
    while (std::getline(in, line)) {
        const Json j = Json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.contains("epoch") && j["epoch"].get<int>() <= last_epoch) kept += line + "\n";
    }
    return kept;
}

struct Cli {
    Config config;
    std::string out = "runs/latest";
    std::string resume;
    bool overwrite = false;
    int threads = 1;
    bool detect_anomaly = false;
    CLI::Option* epochs_flag = nullptr;
    CLI::Option* alpha_flag = nullptr;
};

// The train subcommand's options, bound to `cli`.
CLI::App* add_options(CLI::App& app, Cli& cli) {
    Config& c = cli.config;
    CLI::App* cmd = app.add_subcommand("train", "Train a model; write metrics, checkpoints, curves and a report "
                                       "(data-parallel under mpirun)");
    cmd->add_option("--data", c.data, "fashion-mnist, mnist, csv:PATH, images:DIR or spirals")->capture_default_str();
    cmd->add_option("--arch", c.arch, "The model: an MLP's sizes (784-256-10), lenet5, or a conv net "
                    "CxHxW:layers (1x28x28:conv6k5-relu-maxpool2-flatten-linear10; docs/models.md)")->capture_default_str();
    cmd->add_option("--act", c.act, "An MLP's hidden activation")
        ->check(CLI::IsMember({"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}))->capture_default_str();
    cmd->add_option("--dropout", c.dropout, "An MLP's dropout probability after each hidden activation, in [0, 0.99]")
        ->check(in_range(0.0, 0.99))->capture_default_str();
    cmd->add_option("--optimizer", c.optimizer, "sgd, adam, adamw (decoupled weight decay) or rmsprop")
        ->check(CLI::IsMember({"sgd", "adam", "adamw", "rmsprop"}))->capture_default_str();
    cmd->add_option("--lr", c.lr, "Learning rate (> 0)")->check(positive)->capture_default_str();
    cmd->add_option("--momentum", c.momentum, "Momentum of sgd and rmsprop (>= 0)")->check(non_negative)->capture_default_str();
    cmd->add_option("--weight-decay", c.weight_decay, "Weight decay, every parameter (>= 0)")->check(non_negative)
        ->capture_default_str();
    cmd->add_option("--schedule", c.schedule, "Learning-rate schedule, stepped once per epoch: none, step (x0.1 every "
                    "epochs/3 epochs), exp (x0.95 per epoch), cosine (to 0 at the last epoch)")
        ->check(CLI::IsMember({"none", "step", "exp", "cosine"}))->capture_default_str();
    cli.epochs_flag = cmd->add_option("--epochs", c.epochs, "Passes over the training samples (with --resume: the "
                                      "run's new length; not with --schedule step or cosine)")
                          ->check(positive)->check(at_most(training::max_epochs))->capture_default_str();
    cmd->add_option("--batch-size", c.batch_size, "Samples per step (the last batch of an epoch may be smaller); under "
                    "mpirun the global batch, split across the ranks")
        ->check(positive)->capture_default_str();
    cmd->add_option("--val", c.val, "Hold out the last N training samples for validation and keep best.safetensors "
                    "(0: none, test the last model)")->check(non_negative)->capture_default_str();
    cmd->add_option("--subset", c.subset, "Train on the first N training samples only (0: all)")->check(non_negative)
        ->capture_default_str();
    cmd->add_flag("--shuffle,!--no-shuffle", c.shuffle, "Shuffle each epoch (default) or keep the file's order");
    cmd->add_option("--seed", c.seed, "Seeds the initial weights, the shuffling and dropout")->check(non_negative)
        ->capture_default_str();
    cmd->add_option("--threads", cli.threads, "Threads for the products and ops (results do not depend on it)")
        ->check(positive)->check(at_most(max_threads))->capture_default_str();
    cmd->add_option("--init", c.init, "Start from the weights of this checkpoint (same --arch)")->check(CLI::ExistingFile);
    cmd->add_option("--reg", c.reg, "Regularizer on the dense weights: none, l1, l2, bean1, bean2 (docs/bean.md)")
        ->check(CLI::IsMember({"none", "l1", "l2", "bean1", "bean2"}))->capture_default_str();
    cli.alpha_flag = cmd->add_option("--alpha", c.alpha, "The regularizer's strength (>= 0); default 3 with bean1 and "
                                     "bean2 (the reference's LeNet-5 setting), required with l1 and l2")
                         ->check(non_negative);
    cmd->add_option("--gamma", c.gamma, "BEAN's tanh scale (> 0)")->check(positive)->capture_default_str();
    cmd->add_option("--bean-layers", c.bean_layers,
                    "Layers BEAN covers: hidden (the Linears whose input is not the raw data), all, or Linear indices like 1,2")
        ->capture_default_str();
    cmd->add_option("--out", cli.out, "Output folder: new or empty (or --overwrite)")->capture_default_str();
    CLI::Option* resume = cmd->add_option("--resume", cli.resume, "Continue the run in this folder exactly");
    cmd->add_flag("--overwrite", cli.overwrite, "Replace the run in --out (its files only) rather than refuse")
        ->excludes(resume);
    cmd->add_flag("--detect-anomaly", cli.detect_anomaly, "Name the op that first produces a NaN or infinity (slower)");
    return cmd;
}

// The settings in a run folder's config.json, read back through the train command's own parser: they
// are checked exactly as flags are. --init is left out: it was read once, when the run began.
Config read_config(const fs::path& path) {
    const Json j = Json::parse(read_text(path), nullptr, false);
    check_usage(j.is_object(), path.string(), ": not a JSON object of settings");
    const Json settings = Config{};
    std::vector<std::string> args{"train"};
    for (const auto& [key, value] : j.items()) {
        check_usage(settings.contains(key), path.string(), ": '", key, "' is not a setting of hebb train");
        check_usage(key != "init" || value.is_string(), path.string(), ": init is not a file name");
        if (key == "init") continue;
        std::string flag = "--" + key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        if (value.is_boolean()) {
            args.push_back(value.get<bool>() ? flag : "--no-" + flag.substr(2));
            continue;
        }
        args.push_back(flag);
        args.push_back(value.is_string() ? value.get<std::string>() : value.dump());
    }
    CLI::App parser;
    Cli read;
    add_options(parser, read);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
    try {
        parser.parse(args);
    } catch (const CLI::ParseError& e) {
        usage_error(path.string(), ": ", e.what());
    }
    read.config.init = j.value("init", "");
    return read.config;
}

// The run's settings: the command line's, or with --resume those of its config.json, where only
// --epochs may change.
Config settings(const Cli& cli, const std::vector<std::string>& given) {
    if (cli.resume.empty()) {
        Config c = cli.config;
        const bool alpha = cli.alpha_flag->count() > 0;
        check_usage(c.reg != "none" || c.alpha == 0.0f, "--alpha ", c.alpha, ": there is no --reg for it to weigh");
        check_usage(alpha || (c.reg != "l1" && c.reg != "l2"), "--reg ", c.reg, " needs --alpha, its strength "
                    "(docs/bean.md's grids use 1e-5 to 1e-2)");
        if (!alpha && c.reg.starts_with("bean")) c.alpha = reg::reference_alpha;
        return c;
    }
    for (const std::string& flag : given)
        check_usage(flag == "--resume" || flag == "--epochs" || flag == "--threads" || flag == "--detect-anomaly",
                    "--resume ", cli.resume, " takes its settings from config.json there; ", flag,
                    " cannot change them (only --epochs, --threads and --detect-anomaly)");
    reading_flag("--resume", [&] { training::RunFolder::check(cli.resume, training::RunFolder::Mode::resume); });
    Config c = read_config(training::RunFiles(cli.resume).config());
    if (cli.epochs_flag->count() && cli.config.epochs != c.epochs) {
        // Their learning rates depend on the run's length: another length would change the epochs done.
        check_usage(c.schedule != "step" && c.schedule != "cosine", "--epochs ", cli.config.epochs, ": the run's --schedule ",
                    c.schedule, " was laid out for ", c.epochs, " epochs and cannot be stretched; resume without --epochs, "
                    "or start a new run (--init ", (fs::path(cli.resume) / "last.safetensors").string(), ")");
        c.epochs = cli.config.epochs;
    }
    return c;
}

struct RunData {
    data::TensorDataset train, val, test;
};

// The dataset's splits: --val takes the last training samples, --subset the first of the rest.
RunData load_data(const Config& c, const nn::Model& model) {
    data::Splits splits = data::load_dataset(c.data);
    RunData d{std::move(splits.train), {}, std::move(splits.test)};
    check_usage(c.val >= 0 && c.val < d.train.size(), "--val ", c.val, ": the training split has ", d.train.size(),
                " samples; hold out fewer");
    if (c.val > 0) {
        d.val = data::slice(d.train, d.train.size() - c.val, d.train.size());
        d.train = data::slice(d.train, 0, d.train.size() - c.val);
    }
    if (c.subset > 0) d.train = data::slice(d.train, 0, std::min<Eigen::Index>(c.subset, d.train.size()));
    check_usage(fits(model.input, d.train.image) && model.output.size() == d.train.classes, "--arch ", c.arch, ": ",
                c.data, " needs input size ", d.train.image.values(), " and output size ", d.train.classes,
                "; the model takes ", model.input.values(), " and gives ", model.output.size());
    // Every split against the model before the first step, not after an epoch.
    for (const auto& [name, split] : {std::pair<const char*, const data::TensorDataset*>{"validation", &d.val},
                                      {"test", &d.test}}) {
        if (split->size() == 0) continue;
        HEBB_CHECK(split->dim() == d.train.dim(), c.data, ": the ", name, " split has ", split->dim(),
                   " features per sample, the training split ", d.train.dim());
        const int top = *std::max_element(split->labels.begin(), split->labels.end());
        HEBB_CHECK(top < d.train.classes, c.data, ": the ", name, " split has label ", top, ", the model's ",
                   d.train.classes, " outputs stand for labels 0..", d.train.classes - 1);
    }
    return d;
}

// Puts a run back where its last checkpoint left it: weights, optimizer, generator, the loader's
// and the schedule's epoch (on every rank of an MPI job).
training::RunState resume(const training::RunFiles& folder, nn::Module& net, optim::Optimizer& opt, Generator& gen,
                          data::DataLoader& loader, optim::LRScheduler* schedule) {
    training::Checkpoint last = training::load_checkpoint(folder.last().string());
    HEBB_CHECK(last.run && last.run->optimizer, folder.last().string(), " holds no training run state");
    net.load_state_dict(last.model->state_dict());
    opt.load_state_dict(*last.run->optimizer);
    gen.set_state(last.run->generator);
    const int done = last.run->epoch;
    loader.set_epoch(done);
    if (schedule) schedule->set_epoch(done);
    return *last.run;
}

// The signal (SIGINT or SIGTERM) that asked the run to stop: it stops after the step in progress,
// leaving the last epoch's checkpoint for --resume. A second signal ends the process at once.
std::atomic<int> stop_signal{0};
struct Stopped {};

// Blocks SIGINT and SIGTERM in this thread and so in every thread started after it (call it before
// any), and takes them in a thread of their own. No signal frame then ever lands on a computing
// thread's stack, where oneDNN's JIT product kernels keep data below the stack pointer (a handler
// run there corrupted the heap in 1 of 10 stops).
void stop_on_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread([signals] {
        int signal = 0;
        sigwait(&signals, &signal);
        stop_signal = signal;
        sigwait(&signals, &signal);
        std::_Exit(128 + signal);
    }).detach();
}

// Whether to stop after the step in progress. In an MPI job mpirun passes a signal to every rank,
// and rank 0 answers it: it says where the run stands and ends the job. The other ranks carry on
// meanwhile (rank 0's step needs them), and stop on their own only if the job is still running 5 s
// later (a signal sent to them alone).
bool stop_requested() {
    if (!stop_signal) return false;
    if (parallel::rank() == 0) return true;
    static const auto first_asked = std::chrono::steady_clock::now();
    return std::chrono::steady_clock::now() - first_asked > std::chrono::seconds(5);
}

// One epoch of training with a progress bar. A failure says what to try, and after the first epoch
// that the last checkpoint is intact.
training::EpochStats epoch_with_progress(nn::Module& net, data::DataLoader& loader, optim::Optimizer& opt,
                                         const reg::Regularizer* reg, training::DataParallel* ranks, int epoch,
                                         const fs::path& last) {
    const auto start = std::chrono::steady_clock::now();
    Progress bar(loader.num_batches());
    try {
        const training::EpochStats stats = training::train_epoch(net, loader, opt, reg, epoch, [&](const training::EpochStats& now) {
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            char info[160];
            std::snprintf(info, sizeof info, "epoch %d  loss %.4f  reg %.4f  acc %.4f  %.0f samples/s", epoch,
                          now.loss, now.reg_loss, now.accuracy, static_cast<double>(now.samples) / secs);
            bar.update(now.steps, info);
            if (stop_requested()) throw Stopped{};
        }, ranks);
        bar.clear();
        return stats;
    } catch (const Error& e) {
        bar.clear();
        fail(e.what(), "; try a smaller --lr or --alpha", detect_anomaly() ? "" : ", or --detect-anomaly to find the op",
             epoch > 1 ? "\nthe last good checkpoint, " + last.string() + ", is untouched" : "");
    }
}

void print_epoch(const EpochMetrics& m, int epochs) {
    std::printf("epoch %3d/%d  loss %.4f  reg %.4f  train_acc %.4f", m.epoch, epochs, m.train_loss, m.reg_loss, m.train_acc);
    if (m.val_acc) std::printf("  val_loss %.4f  val_acc %.4f", *m.val_loss, *m.val_acc);
    std::printf("  lr %.3g  %.1f s  %.0f samples/s\n", m.lr, m.seconds, m.samples_per_s);
    std::fflush(stdout);
}

// The test split, once: with the best-validation model when there is a validation split; then
// test.json, the report made from the run folder's files, and the summary.
void finish(const training::RunFiles& folder, nn::Module& net, long params, const RunData& d,
            std::chrono::steady_clock::time_point start) {
    const bool has_val = d.val.size() > 0;
    std::string tested = "last";
    if (has_val && fs::exists(folder.best())) {
        net.load_state_dict(training::load_checkpoint(folder.best().string()).model->state_dict());
        tested = "best-validation";
    }
    const training::Evaluation test = training::evaluate(net, d.test);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_test(folder.path(), {test, d.test.class_names, tested, params, (std::ostringstream() << net).str(), total});
    write_report(folder.path());

    std::printf("\ntest accuracy %.4f  loss %.4f  (%ld samples, %s model)\n", test.accuracy, test.loss, test.n, tested.c_str());
    std::printf("%s", training::evaluation_markdown(test, d.test.class_names).c_str());
    std::printf("\nwrote %s/{config.json, metrics.jsonl, last.safetensors%s, test.json, curves.svg, report.md, "
                "report.html} in %.1f s\n", folder.path().string().c_str(), has_val ? ", best.safetensors" : "", total);
}

int run(const Cli& cli, const std::vector<std::string>& given) {
    stop_on_signals();
    const Config c = settings(cli, given);
    // An MPI job: every rank trains on its part of each batch; rank 0 alone writes the run's files.
    const int rank = parallel::rank(), ranks = parallel::size();
    Json job = c;
    job.update({{"out", cli.out}, {"resume", cli.resume}, {"overwrite", cli.overwrite}});
    check_same_settings(job.dump());
    check_on_all_ranks(c.batch_size >= ranks, "--batch-size ", c.batch_size, ": ", ranks, " ranks need at least one sample "
                       "each of every batch; give at least ", ranks, " (the global batch, split across the ranks)");
    set_num_threads(cli.threads);
    set_detect_anomaly(cli.detect_anomaly);

    // Everything that can be refused is checked before any work.
    const nn::ModelSpec spec{c.arch, c.act, c.dropout};
    Generator gen(c.seed);  // initial weights, then dropout masks
    const nn::Model model = reading_flag("--arch", [&] { return nn::build_model(spec, gen); });
    const std::shared_ptr<nn::Sequential>& net = model.net;
    auto reg = reading_flag("--bean-layers", [&] { return reg::make_regularizer(c.reg, c.alpha, c.gamma, c.bean_layers); });
    if (const auto* bean = dynamic_cast<const reg::BEAN*>(reg.get()))
        reading_flag("--bean-layers", [&] { return bean->covered(*net); });
    reading_flag("--data", [&] { data::check_dataset_name(c.data); });
    using Mode = training::RunFolder::Mode;
    const Mode mode = !cli.resume.empty() ? Mode::resume : cli.overwrite ? Mode::overwrite : Mode::create;
    const fs::path path = mode == Mode::resume ? cli.resume : cli.out;
    std::optional<training::RunFolder> writer;  // rank 0's: the other ranks read the folder at most
    if (rank == 0) {
        reading_flag(mode == Mode::resume ? "--resume" : "--out", [&] { training::RunFolder::check(path, mode); });
        writer.emplace(path, mode);
    }
    const training::RunFiles folder(path);

    const auto start = std::chrono::steady_clock::now();
    const RunData d = load_data(c, model);
    const bool has_val = d.val.size() > 0;
    if (!c.init.empty()) {
        const training::Checkpoint init = training::load_checkpoint(c.init);
        check_usage(init.spec.arch == spec.arch, "--init ", c.init, ": its arch ", init.spec.arch,
                    " is not --arch ", spec.arch);
        net->load_state_dict(init.model->state_dict());
    }
    auto opt = make_optimizer(c, net->parameters());
    auto schedule = make_schedule(c, *opt);
    data::DataLoader loader(d.train, c.batch_size, c.shuffle, c.seed);
    if (ranks > 1) loader.set_shard(rank, ranks);

    // What eval, prune and assemblies need to test the model on the data it was trained on.
    const Metadata notes{{"data", c.data}, {"inputs", d.train.scaling()}};
    training::RunState state;
    if (mode == Mode::resume) {
        state = resume(folder, *net, *opt, gen, loader, schedule.get());
        check_on_all_ranks(state.epoch <= c.epochs, "--epochs ", c.epochs, ": ", folder.path().string(), " has done ",
                           state.epoch, " epochs already; give at least that many");
    }
    std::optional<training::DataParallel> replicas;  // checks that every rank starts from the same weights
    if (ranks > 1) replicas.emplace(net->parameters());
    std::ofstream metrics;
    if (writer) {
        // metrics.jsonl keeps the epochs done: any line beyond them is cut, so a resumed run repeats none.
        write_file_atomic(folder.metrics().string(), mode == Mode::resume ? metrics_until(folder.metrics(), state.epoch) : "");
        write_file_atomic(folder.config().string(), Json(c).dump(2) + "\n");  // on --resume, with its --epochs
        metrics.open(folder.metrics(), std::ios::app);
    }

    long params = 0;
    for (const Tensor& p : net->parameters()) params += static_cast<long>(p.value().size());
    std::printf("%s\n%ld parameters; %lld training samples, %lld validation, %lld test; ready to train in %.2f s\n",
                (std::ostringstream() << *net).str().c_str(), params, static_cast<long long>(d.train.size()),
                static_cast<long long>(d.val.size()), static_cast<long long>(d.test.size()),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (ranks > 1)
        std::printf("%d ranks, each on about %d samples of every batch of %d; gradients summed in %zu bucket%s\n", ranks,
                    c.batch_size / ranks, c.batch_size, replicas->buckets(), replicas->buckets() == 1 ? "" : "s");

    for (int epoch = state.epoch + 1; epoch <= c.epochs; ++epoch) {
        const auto epoch_start = std::chrono::steady_clock::now();
        const double lr = opt->lr();
        training::EpochStats stats;
        try {
            if (stop_requested()) throw Stopped{};
            stats = epoch_with_progress(*net, loader, *opt, reg.get(), replicas ? &*replicas : nullptr, epoch, folder.last());
        } catch (const Stopped&) {
            if (rank > 0) return 128 + stop_signal;  // rank 0 says where the run stands
            const char* name = stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
            if (fs::exists(folder.last()))
                std::fprintf(stderr, "\nstopped by %s in epoch %d; %s holds epoch %d: continue with hebb train --resume %s\n",
                             name, epoch, folder.last().string().c_str(), epoch - 1, folder.path().string().c_str());
            else
                std::fprintf(stderr, "\nstopped by %s in epoch %d, before any checkpoint: start again with --out %s "
                             "--overwrite\n", name, epoch, folder.path().string().c_str());
            return 128 + stop_signal;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
        EpochMetrics m{epoch, stats.loss, stats.reg_loss, stats.accuracy, {}, {}, lr, seconds,
                       static_cast<double>(stats.samples) / seconds};
        if (schedule) schedule->step();
        if (!writer) continue;  // the other ranks' epoch ends here
        if (has_val) {
            const training::Evaluation val = training::evaluate(*net, d.val);
            m.val_loss = val.loss, m.val_acc = val.accuracy;
        }

        // The metrics line first, then the checkpoints: a crash in between leaves a line beyond the
        // last checkpoint, which --resume cuts before it trains that epoch again; the other order
        // would lose the epoch's line for good.
        metrics << Json(m).dump() << "\n" << std::flush;
        const bool best = m.val_acc && *m.val_acc > state.best_val_acc;
        state = {epoch, best ? *m.val_acc : state.best_val_acc, gen.state(), std::nullopt};
        if (best) training::save_checkpoint(folder.best().string(), spec, *net, state, notes);
        state.optimizer = opt->state_dict();
        training::save_checkpoint(folder.last().string(), spec, *net, state, notes);

        print_epoch(m, c.epochs);
    }

    if (writer) finish(folder, *net, params, d, start);
    return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
    auto cli = std::make_shared<Cli>();
    CLI::App* cmd = add_options(app, *cli);
    return [cli, cmd] {
        std::vector<std::string> given;
        for (const CLI::Option* o : cmd->get_options())
            if (o->count() && !o->get_lnames().empty()) given.push_back("--" + o->get_lnames().front());
        return run(*cli, given);
    };
}

}  // namespace hebb::app
