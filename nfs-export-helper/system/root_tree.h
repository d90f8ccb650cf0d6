// Editing files inside a copied Pi root without ever leaving it: every component is opened with
// O_NOFOLLOW relative to the root, so a symlink such as etc -> /etc in the copy cannot make us
// write the server's own files.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rpinetboot::nfs {

class RootTree {
  public:
    explicit RootTree(const std::string& root);  // throws SystemError
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

  private:
    int openParent(const std::string& rel, std::string& leaf) const;
    int fd_ = -1;
    std::string root_;
};

}  // namespace rpinetboot::nfs
