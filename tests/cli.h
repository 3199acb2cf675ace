// Running the hebb command from a test, as a user would, and scratch folders for its files.
#pragma once

#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace cli {

struct Result {
    int status;
    std::string output;  // stdout and stderr
};

// Runs a shell command line, capturing stdout and stderr.
inline Result shell(const std::string& line) {
    const std::string command = line + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::string output;
    std::array<char, 4096> buf;
    while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) output.append(buf.data(), n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline Result hebb(const std::string& args) { return shell(std::string(HEBB_EXE) + " " + args); }

// An empty path under a folder of this test process: /tmp/hebb_test_<pid>/<name>.
inline std::filesystem::path scratch(const std::string& name) {
    namespace fs = std::filesystem;
    const fs::path p = fs::temp_directory_path() / ("hebb_test_" + std::to_string(::getpid())) / name;
    fs::remove_all(p);
    fs::create_directories(p.parent_path());
    return p;
}

inline std::string read_text(const std::filesystem::path& p) {
    std::stringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
}

}  // namespace cli
