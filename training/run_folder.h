// A training run's folder: the files of one run, and a lock that one process holds while it trains
// there. No run is overwritten unless asked for, and no two processes write into one folder.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

namespace hebb::training {

// Where a run's files lie in its folder: hebb train writes them; its report and hebb assemblies read
// them. RunFolder's own files are the first eight.
class RunFiles {
public:
    explicit RunFiles(std::filesystem::path path) : path_(std::move(path)) {}
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path config() const { return path_ / "config.json"; }
    std::filesystem::path metrics() const { return path_ / "metrics.jsonl"; }
    std::filesystem::path last() const { return path_ / "last.safetensors"; }
    std::filesystem::path best() const { return path_ / "best.safetensors"; }
    std::filesystem::path test() const { return path_ / "test.json"; }
    std::filesystem::path curves() const { return path_ / "curves.svg"; }
    std::filesystem::path report_md() const { return path_ / "report.md"; }
    std::filesystem::path report_html() const { return path_ / "report.html"; }
    std::filesystem::path assemblies() const { return path_ / "assemblies"; }  // hebb assemblies' default --out

private:
    std::filesystem::path path_;
};

class RunFolder : public RunFiles {
public:
    enum class Mode {
        create,     // a new run: the folder must be new or empty
        overwrite,  // a new run replacing the one there (its files only; anything else stays)
        resume,     // continue the run there
    };
    // Whether the folder fits `mode`, writing nothing: throws an Error naming the folder and what
    // to do when it holds a run (for create), files of its own, or no run to resume.
    static void check(const std::filesystem::path& path, Mode mode);
    // Checks, creates the folder when needed, takes its lock and checks again under it; throws an
    // Error naming the folder. The lock is released when this is destroyed or the process ends,
    // however it ends.
    RunFolder(const std::filesystem::path& path, Mode mode);
    ~RunFolder();
    RunFolder(const RunFolder&) = delete;
    RunFolder& operator=(const RunFolder&) = delete;

private:
    int lock_ = -1;  // the lock file's descriptor, holding an exclusive flock
};

}  // namespace hebb::training
