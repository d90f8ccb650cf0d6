// File operations with the guarantees the exports files need: an exclusive sidecar lock, and
// replacement by temp file + fsync + rename + directory fsync (OpenZFS libshare's pattern), so a
// crash at any point leaves either the old or the new file, never a mix.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::nfs {

struct SystemError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// flock(LOCK_EX) on `path` (created 0600), waiting at most `timeout`. Released on destruction.
class FileLock {
  public:
    FileLock(const std::string& path, std::chrono::milliseconds timeout);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

  private:
    UniqueFd fd_;
};

// nullopt if the file does not exist; throws SystemError on any other failure.
std::optional<std::string> readFileIfExists(const std::string& path);

// Writes `content` to dir/name with rpinetboot::replaceFileAt: a temp file
// "<dir>/.<name>.tmp.XXXXXX" (never ending in ".exports", so exportfs ignores it), fsync, rename,
// fsync(dir). Mode 0644.
void replaceFile(const std::string& dir, const std::string& name, const std::string& content);

// Removes dir/name (if present) and fsyncs the directory.
void removeFile(const std::string& dir, const std::string& name);

// Removes temp files a crashed run left behind ("<dir>/.<name>.tmp.*"); call under the lock.
void removeStaleTemps(const std::string& dir, const std::string& name);

// Names of the regular files in `dir` (sorted); empty if it does not exist.
std::vector<std::string> listDir(const std::string& dir);

// realpath(3) or nullopt.
std::optional<std::string> canonicalPath(const std::string& path);

void ensureDirectory(const std::string& dir);

}  // namespace rpinetboot::nfs
