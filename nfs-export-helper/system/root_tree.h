// Editing files inside a copied Pi root without ever leaving it: every component is opened with
// O_NOFOLLOW relative to the root, so a symlink such as etc -> /etc in the copy cannot make us
// write the server's own files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::nfs {

class RootTree {
  public:
    // Opens `root` itself with O_NOFOLLOW: a root that is a symlink is refused. Throws SystemError.
    explicit RootTree(const std::string& root);
    // The directory `name` in the open directory `parentFd` (O_NOFOLLOW); `display` names it in
    // messages.
    RootTree(int parentFd, const std::string& name, const std::string& display);
    ~RootTree();
    RootTree(const RootTree&) = delete;
    RootTree& operator=(const RootTree&) = delete;

    // nullopt if missing; throws if a component is a symlink or on I/O errors.
    std::optional<std::string> read(const std::string& rel) const;
    // Replaces rel (temp + fsync + rename), keeping the old file's mode and owner if it existed.
    void write(const std::string& rel, const std::string& content) const;
    // Removes rel if present (never follows a final symlink: it removes the link).
    bool remove(const std::string& rel) const;
    // Names in directory rel (empty if missing).
    std::vector<std::string> list(const std::string& rel) const;

    enum class Kind { Missing, File, Directory, Symlink, Other };
    // What rel is, without following a final symlink (throws if a parent is a symlink).
    Kind kind(const std::string& rel) const;
    // Replaces whatever file or symlink is at rel by a symlink to `target`.
    void symlink(const std::string& rel, const std::string& target) const;
    // Creates the directories of rel that are missing (mode 0755), never through a symlink.
    void makeDirs(const std::string& rel) const;
    int fd() const { return fd_.get(); }

  private:
    // The directory holding rel's last component (its name in `leaf`); empty if a parent is
    // missing.
    UniqueFd openParent(const std::string& rel, std::string& leaf) const;
    UniqueFd fd_;
    std::string root_;
};

}  // namespace rpinetboot::nfs
