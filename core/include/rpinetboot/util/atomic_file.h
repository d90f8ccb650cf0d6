// Replacing a file so that a crash at any moment leaves either the old or the new content, never
// a mix: temp file beside it, fsync, rename(2) over the old one (atomic, POSIX), fsync of the
// directory so that the rename itself is durable (OpenZFS libshare writes its exports this way).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot {

struct FileAttributes {
    mode_t mode = 0644;        // set with fchmod, so the umask does not change it
    std::optional<uid_t> uid;  // owner and group, if they are to be set (fchown)
    std::optional<gid_t> gid;
};

// Replaces `name` in the directory `dirFd` by `content`. The temp file is ".<name>.tmp.XXXXXX"
// (a dot file, which exportfs and run-parts style readers skip), opened with O_EXCL | O_NOFOLLOW
// and removed again on any failure. Returns an empty string on success, else what failed
// ("fsync .hosts.tmp.Ab12Cd: No space left on device"); errno is left as the failure set it.
std::string replaceFileAt(int dirFd, const std::string& name, std::string_view content,
                          const FileAttributes& attributes = {});

// The prefix of the temp files replaceFileAt makes for `name`: what a crashed run leaves behind.
std::string tempFilePrefix(const std::string& name);

}  // namespace rpinetboot
