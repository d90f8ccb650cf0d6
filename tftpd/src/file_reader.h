// Reads file contents on a thread of its own, so that a cold file never stalls the event loop
// (and with it every other transfer's next DATA). Jobs run in arrival order, each at most one
// chunk long: a 100 MB load is a series of 1 MiB reads, and a streaming transfer's chunk waits
// behind at most one of them. Completions are handed back through `post` (the daemon's
// io_context), so all state outside this class stays single-threaded.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "file_cache.h"
#include "metrics.h"

namespace rpinetboot::tftpd {

class FileReader {
  public:
    using Post = std::function<void(std::function<void()>)>;
    static constexpr std::size_t kLoadChunk = 1 << 20;

    explicit FileReader(Post post);
    ~FileReader();
    FileReader(const FileReader&) = delete;
    FileReader& operator=(const FileReader&) = delete;

    // Fills an in-memory file from its descriptor, chunk by chunk; after each chunk its
    // waiters run (through `post`).
    void load(const FilePtr& file);
    // Reads up to `len` bytes at `offset` into `dest` (kept alive by `keep`), then posts
    // done(bytes read, or -1 on error).
    void read(const FilePtr& file, std::uint64_t offset, std::size_t len, std::uint8_t* dest,
              std::shared_ptr<void> keep, std::function<void(long)> done);

    // Jobs queued or running (for tests and logs).
    std::size_t backlog() const;
    // Counted on the reader thread, read on the loop thread.
    const ReaderMetrics& metrics() const { return metrics_; }

  private:
    void run();
    void loadChunk(const FilePtr& file);
    void push(std::function<void()> job);
    long readCounted(const FilePtr& file, std::uint8_t* dest, std::size_t len,
                     std::uint64_t offset);

    Post post_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::size_t running_ = 0;
    bool stop_ = false;
    ReaderMetrics metrics_;
    std::thread thread_;
};

}  // namespace rpinetboot::tftpd
