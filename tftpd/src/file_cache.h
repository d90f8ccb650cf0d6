// Read-only file contents shared by every transfer of the same file version, with the memory
// they take bounded.
//
// Keyed by (device, inode, size, mtime): a file replaced or rewritten in place is a new entry,
// while transfers already running keep the version they started with. A file is held in memory
// once, however many transfers read it, and every byte held counts against the limit until its
// last transfer ends (an entry leaves the cache only when no transfer uses it). A file larger
// than the per-file limit, or one that does not fit beside the files in use, is streamed: each of
// its transfers reads it in small chunks (FileStream). Nothing here reads on the caller's thread:
// contents arrive through a FileReader.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::tftpd {

class FileReader;

class FileData {
  public:
    FileData(std::uint64_t size, UniqueFd fd) : size_(size), fd_(std::move(fd)) {}
    FileData(const FileData&) = delete;
    FileData& operator=(const FileData&) = delete;
    ~FileData();

    std::uint64_t size() const { return size_; }
    int fd() const { return fd_.get(); }
    // Held in memory (being loaded or loaded); otherwise streamed by each transfer.
    bool inMemory() const { return memory_ != nullptr; }
    // Bytes loaded so far, from the start; size() once complete. Safe from any thread.
    std::uint64_t loaded() const { return loaded_.load(std::memory_order_acquire); }
    // The file could not be read to its end (it shrank under us): serve none of it.
    bool failed() const { return failed_.load(std::memory_order_acquire); }
    // [offset, offset+len) when loaded, else nullptr.
    const std::uint8_t* bytes(std::uint64_t offset, std::size_t len) const {
        return inMemory() && offset + len <= loaded() ? memory_.get() + offset : nullptr;
    }
    // Runs `wake` on the loop thread after the next chunk is loaded (or loading failed). Loop
    // thread only.
    void whenLoaded(std::function<void()> wake) const { waiters_.push_back(std::move(wake)); }

  private:
    friend class FileCache;
    friend class FileReader;
    void wakeWaiters() const;

    std::uint64_t size_;
    UniqueFd fd_;
    std::unique_ptr<std::uint8_t[]> memory_;
    std::shared_ptr<std::atomic<std::uint64_t>> resident_;  // the cache's count, for ~FileData
    std::atomic<std::uint64_t> loaded_{0};
    std::atomic<bool> failed_{false};
    mutable std::vector<std::function<void()>> waiters_;
};

using FilePtr = std::shared_ptr<const FileData>;

class FileCache {
  public:
    struct Limits {
        std::uint64_t maxBytes = 256ull << 20;     // file contents held in memory, in total
        std::uint64_t maxFileBytes = 64ull << 20;  // larger files are always streamed
    };
    FileCache(const Limits& limits, FileReader& reader);

    // Takes the open descriptor of a resolved regular file and returns its shared contents:
    // in memory (loading in the background when new) or, past the limits, to be streamed.
    FilePtr get(UniqueFd fd, const struct stat& st);
    // The cached contents of the file version `st` (a hit, counted as one), or null: then the
    // caller opens the file and calls get(). Saves a hit the open and close of the file.
    FilePtr find(const struct stat& st);

    // Forgets every entry (SIGHUP). Files in use stay alive, and counted, for their transfers.
    void clear();
    void setLimits(const Limits& limits);
    // Bytes of file contents held in memory now, cached or in use.
    std::uint64_t bytesHeld() const { return resident_->load(); }
    std::size_t entries() const { return entries_.size(); }
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }
    std::uint64_t streamed() const { return streamed_; }
    // True once per time the memory limit turned a file into a streamed one, until a file fits
    // again: the caller logs it (one line per episode, not per request).
    bool takeFullNotice();

  private:
    using Key = std::tuple<dev_t, ino_t, std::uint64_t, std::int64_t, long>;
    struct Entry {
        FilePtr file;
        std::list<Key>::iterator lru;
    };
    // Drops unused entries, least recently used first, until `need` more bytes fit.
    bool makeRoom(std::uint64_t need);

    Limits limits_;
    FileReader& reader_;
    std::shared_ptr<std::atomic<std::uint64_t>> resident_;
    std::map<Key, Entry> entries_;
    std::list<Key> lru_;  // front = most recently used
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
    std::uint64_t streamed_ = 0;
    bool full_ = false;
    bool fullNoticed_ = false;
};

}  // namespace rpinetboot::tftpd
