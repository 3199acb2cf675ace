// Every bad input hebb is known to face — flags, data files, checkpoints, settings that diverge —
// each run through the hebb command: it must answer "error: ..." naming the problem, exit 2 for a bad
// command line or 1 for a failure while running, and write no checkpoint. With
// HEBB_RELIABILITY_TABLE=FILE set, the rule, the cases and hebb's answers are also written to FILE
// (docs/bad_inputs.md).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sys/stat.h>
#include <stb/stb_image_write.h>

#include "hebb.h"
#include "tests/cli.h"

namespace fs = std::filesystem;
using namespace hebb;

namespace {

void write(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

std::string u32be(std::uint32_t v) {
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

// An IDX file of unsigned bytes: magic, big-endian dimensions, data.
std::string idx(std::vector<std::uint32_t> dims, size_t data_bytes) {
    std::string out{0, 0, 8, char(dims.size())};
    for (auto d : dims) out += u32be(d);
    return out + std::string(data_bytes, '\x07');
}

void png(const fs::path& p, int w, int h, int channels = 1) {
    fs::create_directories(p.parent_path());
    std::vector<unsigned char> pixels(static_cast<size_t>(w * h * channels), 100);
    REQUIRE(stbi_write_png(p.c_str(), w, h, channels, pixels.data(), w * channels));
}

struct Case {
    std::string area, what, args, expected;
    int exit;  // 2: a bad command line, 1: a failure while running
};

}  // namespace

TEST_CASE("bad inputs get a clear error and a non-zero exit", "[reliability]") {
    const fs::path dir = cli::scratch("bad_inputs");
    const std::string d = dir.string();
    const std::string out = " --epochs 1 --out " + d + "/out";

    // Data files
    write(dir / "ragged.csv", "1,2,0\n3,4,1\n5,6\n");
    write(dir / "cell.csv", "1,2,0\n3,x,1\n5,6,1\n");
    write(dir / "label.csv", "1,2,0\n3,4,-1\n5,6,1\n");
    write(dir / "empty.csv", "");
    write(dir / "huge_label.csv", "1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,999999999\n");
    png(dir / "images_size/0/a.png", 4, 4);
    png(dir / "images_size/1/b.png", 5, 4);
    png(dir / "images_corrupt/0/a.png", 4, 4);
    for (const char* name : {"0/a.png", "0/b.png", "0/c.png", "1/a.png", "1/b.png", "1/c.png"})
        png(dir / "images_rgb" / name, 4, 4, 3);
    write(dir / "images_corrupt/1/b.png", "\x89PNG\r\n\x1a\nnot really");
    const auto mnist_dir = [&](const std::string& name, const std::string& images, const std::string& labels) {
        const fs::path m = dir / name / "mnist";
        write(m / "train-images-idx3-ubyte", images);
        write(m / "train-labels-idx1-ubyte", labels);
        write(m / "t10k-images-idx3-ubyte", idx({2, 2, 2}, 8));
        write(m / "t10k-labels-idx1-ubyte", idx({2}, 2));
        return "HEBB_DATA=" + (dir / name).string() + " ";
    };
    const std::string truncated = mnist_dir("truncated", idx({3, 28, 28}, 100), idx({3}, 3));
    const std::string magic = mnist_dir("magic", "\x12\x34\x08\x03" + idx({3, 2, 2}, 12).substr(4), idx({3}, 3));
    const std::string counts = mnist_dir("counts", idx({3, 2, 2}, 12), idx({4}, 4));
    const std::string lying = mnist_dir("lying", idx({4000000000u, 28, 28}, 784), idx({3}, 3));
    const std::string test_size = mnist_dir("test_size", idx({4, 3, 3}, 36), idx({4}, 4));  // test images are 2x2

    // Checkpoints
    REQUIRE(cli::hebb("train --data spirals --arch 2-4-2 --epochs 1 --out " + d + "/good").status == 0);
    const std::string good = d + "/good/last.safetensors";
    const std::string bytes = cli::read_text(good);
    write(dir / "truncated.safetensors", bytes.substr(0, bytes.size() - 10));
    write(dir / "lying.safetensors", std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8) + bytes.substr(8));
    write(dir / "notjson.safetensors", std::string("\x08\0\0\0\0\0\0\0{{{{{{{{", 16));
    save_safetensors(d + "/noarch.safetensors", nn::mlp({{2, 4, 2}})->state_dict(), {});
    save_safetensors(d + "/wrongshape.safetensors", nn::mlp({{2, 3, 2}})->state_dict(), {{"arch", "2-4-2"}, {"activation", "relu"}});
    write(dir / "f16.safetensors", std::string("\x40\0\0\0\0\0\0\0", 8) +
                                       R"({"0.weight":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}   )" + "abcd");
    training::save_checkpoint(d + "/wide.safetensors", {"784-4-10"}, *nn::mlp({{784, 4, 10}}));
    auto diverged = nn::mlp({{2, 4, 2}});
    diverged->parameters()[2].value()(1, 3) = std::numeric_limits<float>::quiet_NaN();
    training::save_checkpoint(d + "/nan.safetensors", {"2-4-2"}, *diverged);
    save_safetensors(d + "/swish.safetensors", nn::mlp({{2, 4, 2}})->state_dict(), {{"arch", "2-4-2"}, {"activation", "swish"}});
    training::save_checkpoint(d + "/rng.safetensors", {"2-4-2"}, *nn::mlp({{2, 4, 2}}), training::RunState{3, 0.5, "garbage", {}});
    REQUIRE(::mkfifo((dir / "fifo.safetensors").c_str(), 0600) == 0);
    REQUIRE(::mkfifo((dir / "fifo.csv").c_str(), 0600) == 0);
    write(dir / "utf16.csv", std::string("\xff\xfe" "1\0,\0" "2\0,\0" "0\0\n\0", 14));
    const std::string timeout = "timeout 10 " + std::string(HEBB_EXE) + " ";

    // Run folders
    REQUIRE(cli::hebb("train --data spirals --arch 2-4-2 --epochs 1 --out " + d + "/edited").status == 0);
    std::string config = cli::read_text(dir / "edited/config.json");
    write(dir / "edited/config.json", config.replace(config.find("\"adam\""), 6, "\"adamax\""));

    const std::vector<Case> cases{
        {"flag", "unknown optimizer", "train --optimizer foo", "--optimizer: foo not in {sgd,adam,adamw,rmsprop}", 2},
        {"flag", "zero learning rate", "train --lr 0", "--lr: must be positive, got 0", 2},
        {"flag", "negative learning rate", "train --lr -1", "--lr", 2},
        {"flag", "batch size 0", "train --batch-size 0", "--batch-size: must be positive, got 0", 2},
        {"flag", "zero epochs", "train --epochs 0", "--epochs: must be positive, got 0", 2},
        {"flag", "dropout above 1", "train --dropout 1.5", "--dropout: must be in [0, 0.99], got 1.5", 2},
        {"flag", "dropout nan", "train --dropout nan", "--dropout: must be in [0, 0.99], got nan", 2},
        {"flag", "infinite learning rate", "train --lr inf", "--lr: must be positive, got inf", 2},
        {"flag", "regularizer strength nan", "train --alpha nan", "--alpha: must be non-negative, got nan", 2},
        {"flag", "L1 without its strength", "train --data spirals --arch 2-4-2 --reg l1" + out, "--reg l1 needs --alpha, its strength", 2},
        {"flag", "strength without a regularizer", "train --data spirals --arch 2-4-2 --alpha 3" + out, "--alpha 3: there is no --reg for it to weigh", 2},
        {"flag", "epochs beyond an int", "train --epochs 99999999999", "--epochs: must be at most 1000000, got 99999999999", 2},
        {"flag", "100,000 threads", "train --threads 100000", "--threads: must be at most 1024, got 100000", 2},
        {"flag", "negative seed", "train --seed -1", "--seed: must be non-negative, got -1", 2},
        {"flag", "eval with infinite threads", "eval --model " + good + " --threads inf", "--threads: must be positive, got inf", 2},
        {"flag", "assemblies with gamma nan", "assemblies --model " + good + " --out " + d + "/as --gamma nan", "--gamma: must be positive, got nan", 2},
        {"flag", "few-shot with an infinite learning rate", "fewshot --lr inf --out " + d + "/fs", "--lr: must be positive, got inf", 2},
        {"flag", "few-shot with 10^7 epochs", "fewshot --epochs 10000000 --out " + d + "/fs", "--epochs: must be at most 1000000, got 10000000", 2},
        {"flag", "bench with batch size 0", "bench --batch-size 0", "--batch-size: '0' is not a positive whole number", 2},
        {"flag", "bench with 10^9 steps", "bench --steps 1e9", "--steps: must be at most 1000000, got 1e9", 2},
        {"flag", "bench with a batch of 2 billion", "bench --batch-size 2000000000", "--batch-size: a batch of 2000000000 through arch 784-512-256-10 would need 37280000000000 bytes (3.47e+04 GiB), more than the 8 GiB", 2},
        {"flag", "bench with 40 GB of weights", "bench --arch 784-100000-100000-10", "--arch: arch 784-100000-100000-10: its weights and biases would need 40318400040 bytes (37.5 GiB), more than the 8 GiB", 2},
        {"flag", "bench timing a 100,000 x 100,000 product", "bench --matmul 100000", "--matmul: three 100000 x 100000 matrices would need 120000000000 bytes", 2},
        {"flag", "unknown activation", "train --act swish", "--act: swish not in", 2},
        {"flag", "unknown regularizer", "train --reg bean7", "--reg: bean7 not in", 2},
        {"flag", "BEAN gamma 0", "train --gamma 0", "--gamma: must be positive, got 0", 2},
        {"flag", "negative momentum", "train --momentum -1", "--momentum: must be non-negative, got -1", 2},
        {"flag", "malformed architecture", "train --data spirals --arch 2-x-2" + out, "arch '2-x-2': expected positive layer sizes", 2},
        {"flag", "architecture that does not fit the data", "train --data spirals --arch 3-10-2" + out, "--arch 3-10-2: spirals needs input size 2 and output size 2", 2},
        {"flag", "conv layer that does not fit its input", "train --data spirals --arch 1x4x4:conv2k5-flatten-linear2" + out, "spec '1x4x4:conv2k5-flatten-linear2': token 1 'conv2k5': layer 0 (Conv2d): conv2d: kernel_size 5 with padding 0 does not fit 1x4x4 images", 2},
        {"flag", "malformed conv layer", "train --data spirals --arch 1x28x28:conv6x5" + out, "token 1 'conv6x5' is not a layer; use conv<OUT>k<K>[s<S>][p<P>]", 2},
        {"flag", "conv net with an MLP's activation", "train --arch lenet5 --act tanh" + out, "spec 'lenet5': a conv net names its activations and dropout among its layers", 2},
        {"flag", "conv net on images of another shape", "train --data mnist --arch 3x28x28:conv2k3-flatten-linear10" + out, "mnist needs input size 1x28x28 = 784 and output size 10; the model takes 3x28x28 = 2352", 2},
        {"flag", "conv net on as many values in another geometry", "train --data images:" + d + "/images_rgb --arch 1x6x8:flatten-linear2" + out, "needs input size 3x4x4 = 48 and output size 2; the model takes 1x6x8 = 48", 2},
        {"flag", "BEAN layer out of range", "train --data spirals --arch 2-4-2 --reg bean1 --bean-layers 5" + out, "layers '5': Linear 5 is out of range; the model has 2 Linear layers", 2},
        {"flag", "validation split larger than the data", "train --data spirals --arch 2-4-2 --val 5000" + out, "--val 5000: the training split has 1000 samples", 2},
        {"flag", "unwritable output folder", "train --data spirals --arch 2-4-2 --epochs 1 --out /proc/hebb", "--out /proc/hebb: cannot create the folder", 1},
        {"flag", "resume from a folder that is not a run", "train --resume " + d + "/nothing", "nothing: not a training run to resume (it needs config.json and last.safetensors)", 2},
        {"flag", "resume with a changed setting", "train --resume " + d + "/good --lr 0.5", "--lr cannot change them", 2},
        {"flag", "unknown split", "eval --model " + good + " --split valid", "--split: valid not in {test,train}", 2},
        {"flag", "few-shot with an unknown method", "fewshot --methods magic --out " + d + "/fs", "--methods: 'magic' is unknown", 2},
        {"flag", "few-shot with 0 shots", "fewshot --shots 0 --out " + d + "/fs", "--shots: '0' is not a positive whole number", 2},
        {"flag", "negative pruning threshold", "prune --model " + good + " --data spirals --abs-threshold -1 --out " + d + "/p.safetensors", "--abs-threshold: must be non-negative, got -1", 2},
        {"flag", "infinite pruning threshold", "prune --model " + good + " --data spirals --rel-threshold inf --out " + d + "/p.safetensors", "--rel-threshold: must be in [0, 1], got inf", 2},
        {"flag", "pruning sweep with fewer labels than models", "prune --sweep --model " + good + " --model " + good + " --data spirals --label plain", "--label and --model come in pairs: 1 --label, 2 --model", 2},
        {"flag", "pruning sweep's baseline label that no model has", "prune --sweep --model " + good + " --data spirals --label plain --baseline-label none", "--baseline-label none: no model has that label; the labels are plain", 2},
        {"data", "unknown dataset", "train --data nothing" + out, "dataset 'nothing' is unknown; use fashion-mnist, mnist", 2},
        {"data", "missing CSV file", "train --data csv:" + d + "/none.csv --arch 2-2" + out, "none.csv does not exist", 2},
        {"data", "CSV with a ragged row", "train --data csv:" + d + "/ragged.csv --arch 2-2" + out, "ragged.csv: row 3 has 2 cells, expected 3", 1},
        {"data", "CSV with a non-numeric cell", "train --data csv:" + d + "/cell.csv --arch 2-2" + out, "cell.csv", 1},
        {"data", "CSV with a negative label", "train --data csv:" + d + "/label.csv --arch 2-2" + out, "label.csv", 1},
        {"data", "empty CSV", "train --data csv:" + d + "/empty.csv --arch 2-2" + out, "empty.csv", 1},
        {"data", "UTF-16 CSV", "train --data csv:" + d + "/utf16.csv --arch 2-2" + out, "utf16.csv: UTF-16 text (a byte order mark at offset 0); hebb reads UTF-8 CSV: convert it", 1},
        {"data", "CSV path that is a FIFO", timeout + "train --data csv:" + d + "/fifo.csv --arch 2-2" + out, "fifo.csv: not a regular file", 1},
        {"data", "CSV path that is /dev/zero", "train --data csv:/dev/zero --arch 2-2" + out, "/dev/zero: not a regular file", 1},
        {"data", "image folder with images of two sizes", "train --data images:" + d + "/images_size --arch 16-2" + out, "is 5x4 but", 1},
        {"data", "image folder with a corrupt image", "train --data images:" + d + "/images_corrupt --arch 16-2" + out, "b.png", 1},
        {"data", "truncated IDX file", truncated + std::string(HEBB_EXE) + " train --data mnist" + out, "train-images-idx3-ubyte: truncated", 1},
        {"data", "IDX file with a wrong magic", magic + std::string(HEBB_EXE) + " train --data mnist" + out, "not an IDX file: the magic at offset 0", 1},
        {"data", "IDX images and labels that disagree in count", counts + std::string(HEBB_EXE) + " train --data mnist" + out, "holds 3 images but", 1},
        {"data", "IDX header claiming 4 billion images", lying + std::string(HEBB_EXE) + " train --data mnist" + out, "the header promises 4000000000 x 28 x 28 data bytes", 1},
        {"checkpoint", "missing checkpoint", "eval --model " + d + "/none.safetensors", "--model: File does not exist", 2},
        {"checkpoint", "truncated checkpoint", "inspect " + d + "/truncated.safetensors", "outside the", 1},
        {"checkpoint", "header length larger than the file", "inspect " + d + "/lying.safetensors", "at offset 0 does not fit a file of", 1},
        {"checkpoint", "header that is not JSON", "inspect " + d + "/notjson.safetensors", "is not valid JSON", 1},
        {"checkpoint", "float16 tensor", "inspect " + d + "/f16.safetensors", "dtype \"F16\"; hebb reads F32 only", 1},
        {"checkpoint", "no architecture in the metadata", "inspect " + d + "/noarch.safetensors", "metadata needs 'arch' and 'activation'", 1},
        {"checkpoint", "weights whose shapes differ from the architecture", "inspect " + d + "/wrongshape.safetensors", "metadata arch: spec '2-4-2' needs 22 weights and biases; at most 17 fit", 1},
        {"checkpoint", "weights holding a NaN", "eval --data spirals --model " + d + "/nan.safetensors", "array '2.weight' holds 1 non-finite value, the first a NaN at (1, 3)", 1},
        {"checkpoint", "unknown activation in the metadata", "inspect " + d + "/swish.safetensors", "metadata activation: activation 'swish' is unknown", 1},
        {"checkpoint", "generator state that is not one", "inspect " + d + "/rng.safetensors", "metadata rng: Generator::set_state: not a generator state", 1},
        {"checkpoint", "checkpoint path that is a FIFO", timeout + "eval --data spirals --model " + d + "/fifo.safetensors", "fifo.safetensors: not a regular file", 1},
        {"checkpoint", "checkpoint path that is /dev/zero", "inspect /dev/zero", "/dev/zero: not a regular file", 1},
        {"checkpoint", "model for another input size", "eval --data spirals --model " + d + "/wide.safetensors", "the model takes 784 inputs and gives 10 outputs; spirals has 2 features and 2 classes", 2},
        {"checkpoint", "model for fewer classes than the data's labels", "eval --data csv:" + d + "/huge_label.csv --model " + good, "1000000000 classes; pick the --data it was trained on (spirals)", 2},
        {"checkpoint", "model that records no dataset, without --data", "eval --model " + d + "/wide.safetensors", "wide.safetensors does not record the dataset it was trained on (a file from another program or an older hebb); give --data", 2},
        {"checkpoint", "--init with another architecture", "train --data spirals --arch 2-8-2 --init " + good + out, "its arch 2-4-2 is not --arch 2-8-2", 2},
        {"run folder", "--out on a folder that holds a run", "train --data spirals --arch 2-8-2 --epochs 1 --out " + d + "/good", d + "/good holds a training run; continue it with --resume " + d + "/good, or start again with --overwrite", 2},
        {"run folder", "--out on a folder of other files (as --out / would be)", "train --data spirals --arch 2-8-2 --epochs 1 --overwrite --out " + d, d + " holds files of its own; give a new or empty folder", 2},
        {"run folder", "--resume with a setting edited in config.json", "train --resume " + d + "/edited", "edited/config.json: --optimizer: adamax not in {sgd,adam,adamw,rmsprop}", 2},
        {"run folder", "--resume and --overwrite together", "train --resume " + d + "/good --overwrite", "--resume excludes --overwrite", 2},
        {"data", "test images of another size than the training images", test_size + std::string(HEBB_EXE) + " train --data mnist --arch 9-10" + out, "mnist: the test split has 4 features per sample, the training split 9", 1},
        {"divergence", "learning rate so large the loss overflows", "train --data spirals --arch 2-8-2 --lr 1e30" + out, "epoch 1 step 2: the loss is -nan", 1},
    };
    REQUIRE(cases.size() >= 30);
    std::string table =
        "# Bad inputs and hebb's answers\n\n"
        "Every error of the `hebb` command has one form, `error: <what, and what to do>` on stderr, and\n"
        "one of two exit codes: **2** when the command line is wrong (a flag's value, flags that do not go\n"
        "together, a file the command line names that does not exist or does not fit: change the command\n"
        "line; these end with `; see hebb <command> --help`), **1** when a run fails (a file that exists\n"
        "but is malformed, a folder that cannot be written, a loss that diverges). `--help` exits 0.\n\n"
        "Written by `tests/test_bad_inputs.cpp` (`DIR` is its scratch folder); see docs/reliability.md.\n\n"
        "| # | input | case | exit | hebb answers |\n|---|---|---|---|---|\n";
    int number = 0;
    for (const Case& c : cases) {
        INFO(c.args);
        // Cases that set HEBB_DATA or a timeout are whole command lines; the rest are arguments to hebb.
        const bool whole = c.args.starts_with("HEBB_DATA=") || c.args.starts_with("timeout ");
        const cli::Result r = whole ? cli::shell(c.args) : cli::hebb(c.args);
        CHECK(r.status == c.exit);
        CHECK_THAT(r.output, Catch::StartsWith("error: ") && Catch::Contains(c.expected));
        CHECK_FALSE(fs::exists(dir / "out" / "last.safetensors"));
        std::string answer = r.output.substr(0, r.output.find('\n'));
        for (const auto& [from, to] : {std::pair<std::string, std::string>{d, "DIR"}, {"|", "\\|"}})
            for (size_t at = answer.find(from); at != std::string::npos; at = answer.find(from, at + to.size()))
                answer.replace(at, from.size(), to);
        table += "| " + std::to_string(++number) + " | " + c.area + " | " + c.what + " | " + std::to_string(r.status) + " | `" + answer + "` |\n";
    }
    if (const char* path = std::getenv("HEBB_RELIABILITY_TABLE")) std::ofstream(path) << table;
}
