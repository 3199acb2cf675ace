#include "training/run_folder.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/tensor.h"
#include "io/file.h"

namespace hebb::training {

namespace fs = std::filesystem;

namespace {

constexpr const char* lock_name = ".hebb-lock";

// A run's file, or the temporary file of one that a crash left behind (see write_file_atomic).
bool run_file(const fs::path& path) {
    const RunFiles run{""};
    const std::string name = path.filename().string();
    for (const fs::path& file : {run.config(), run.metrics(), run.last(), run.best(), run.test(), run.curves(),
                                 run.report_md(), run.report_html()})
        if (name == file.string() || name.starts_with(file.string() + ".tmp.")) return true;
    return false;
}

}  // namespace

void RunFolder::check(const fs::path& path, Mode mode) {
    if (mode == Mode::resume) {
        const RunFiles run{path};
        HEBB_CHECK(fs::is_regular_file(run.config()) && fs::is_regular_file(run.last()),
                   path.string(), ": not a training run to resume (it needs config.json and last.safetensors); give "
                   "the --out folder of an earlier hebb train");
        return;
    }
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return;  // created later, or refused there
    bool run = false, other = false;
    for (const fs::directory_entry& e : fs::directory_iterator(path)) {
        if (e.path().filename() == lock_name) continue;
        const bool ours = run_file(e.path());
        run = run || ours;
        other = other || !ours;
    }
    HEBB_CHECK(!other, path.string(), " holds files of its own; give a new or empty folder (hebb never removes them)");
    HEBB_CHECK(!run || mode == Mode::overwrite, path.string(), " holds a training run; continue it with --resume ",
               path.string(), ", or start again with --overwrite");
}

RunFolder::RunFolder(const fs::path& path, Mode mode) : RunFiles(path) {
    check(path, mode);  // before writing anything there
    if (mode != Mode::resume) prepare_output_folder(path.string(), "--out");
    const std::string lock_path = (path / lock_name).string();
    lock_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    HEBB_CHECK(lock_ >= 0, lock_path, ": cannot create the lock file: ", std::strerror(errno));
    try {
        if (::flock(lock_, LOCK_EX | LOCK_NB) != 0) {
            HEBB_CHECK(errno != EWOULDBLOCK, path.string(), ": another hebb train is running in this folder; wait for "
                                             "it to end, or give another folder");
            fail(lock_path, ": cannot lock: ", std::strerror(errno));
        }
        // Again under the lock: of two processes started together on a new folder, the second finds
        // the first one's run here.
        check(path, mode);
    } catch (...) {
        ::close(lock_);
        throw;
    }
    if (mode == Mode::overwrite)  // the old run's files, nothing else
        for (const fs::directory_entry& e : fs::directory_iterator(path))
            if (run_file(e.path())) fs::remove(e.path());
}

RunFolder::~RunFolder() { ::close(lock_); }  // closing releases the flock

}  // namespace hebb::training
