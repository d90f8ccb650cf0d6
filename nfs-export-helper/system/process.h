// Running a helper program (exportfs, cp) with a deadline, stdout and stderr captured.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace rpinetboot::nfs {

struct ProcessResult {
    int exitCode = -1;  // -1: did not run or was killed
    bool timedOut = false;
    std::string output;  // stdout and stderr, interleaved as written
    std::string error;   // why it did not run
};

// `inChild` runs in the forked child before exec (namespace setup); if it returns a non-empty
// string the child writes it and exits 126 without exec.
ProcessResult runProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         const std::function<std::string()>& inChild = {});

}  // namespace rpinetboot::nfs
