// Read-only file contents shared by every transfer of the same file version.
//
// Keyed by (device, inode, size, mtime): a file replaced or rewritten in place is a new entry,
// while transfers already running keep the version they started with. Small files are held in
// memory; files above the per-file limit are read with pread from their own descriptor.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "unique_fd.h"

namespace rpinetboot::tftpd {

class FileData {
  public:
    std::uint64_t size() const { return size_; }
    // Bytes [offset, offset+len) of the file. For in-memory files the returned pointer is into
    // the shared buffer; otherwise the bytes are read into `scratch` (at least len bytes).
    // Returns nullptr when the file cannot be read any more (truncated under us).
    const std::uint8_t* read(std::uint64_t offset, std::size_t len, std::uint8_t* scratch) const;
    bool inMemory() const { return fd_.get() < 0; }

  private:
    friend class FileCache;
    std::uint64_t size_ = 0;
    std::vector<std::uint8_t> bytes_;
    UniqueFd fd_;
};

using FilePtr = std::shared_ptr<const FileData>;

class FileCache {
  public:
    struct Limits {
        std::uint64_t maxBytes = 256ull << 20;     // total held in memory by the cache
        std::uint64_t maxFileBytes = 64ull << 20;  // larger files are streamed with pread
    };
    explicit FileCache(const Limits& limits) : limits_(limits) {}

    // Takes the open descriptor of a resolved regular file and returns its shared contents.
    // Returns nullptr on a read error.
    FilePtr get(UniqueFd fd, const struct stat& st);

    void clear();
    void setLimits(const Limits& limits);
    std::uint64_t bytesHeld() const;
    std::size_t entries() const;
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }

  private:
    using Key = std::tuple<dev_t, ino_t, std::uint64_t, std::int64_t, long>;
    struct Entry {
        FilePtr file;
        std::list<Key>::iterator lru;
    };
    void evict();

    Limits limits_;
    std::map<Key, Entry> entries_;
    std::list<Key> lru_;  // front = most recently used
    std::uint64_t bytes_ = 0;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

}  // namespace rpinetboot::tftpd
