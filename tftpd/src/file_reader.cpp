#include "file_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace rpinetboot::tftpd {

namespace {

long preadAll(int fd, std::uint8_t* dest, std::size_t len, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < len) {
        auto n = ::pread(fd, dest + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;  // end of file
        done += static_cast<std::size_t>(n);
    }
    return static_cast<long>(done);
}

}  // namespace

FileReader::FileReader(Post post) : post_(std::move(post)), thread_([this] { run(); }) {}

FileReader::~FileReader() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
        jobs_.clear();
    }
    wake_.notify_one();
    thread_.join();
}

void FileReader::push(std::function<void()> job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

std::size_t FileReader::backlog() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.size() + running_;
}

void FileReader::run() {
    // Not niced: the loop shares locks with this thread (the job queue, Asio's post). Niced to
    // 10 on a busy 2-core machine, the worst delay of other transfers' DATA during a cold load
    // was 30-60 ms against 15-25 ms without (a preempted lock holder, most likely).
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        ++running_;
        lock.unlock();
        job();
        job = nullptr;  // drop what it held (files, buffers) outside the lock
        lock.lock();
        --running_;
    }
}

long FileReader::readCounted(const FilePtr& file, std::uint8_t* dest, std::size_t len,
                             std::uint64_t offset) {
    const long n = preadAll(file->fd(), dest, len, offset);
    if (n > 0)
        metrics_.readBytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    if (n != static_cast<long>(len)) metrics_.readErrors.fetch_add(1, std::memory_order_relaxed);
    return n;
}

void FileReader::load(const FilePtr& file) {
    if (file->size() == 0) {
        const_cast<FileData&>(*file).loaded_.store(0, std::memory_order_release);
        return;
    }
    push([this, file] { loadChunk(file); });
}

void FileReader::loadChunk(const FilePtr& file) {
    auto& f = const_cast<FileData&>(*file);
    const std::uint64_t at = f.loaded_.load(std::memory_order_relaxed);
    const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(kLoadChunk, f.size_ - at));
    const long n = readCounted(file, f.memory_.get() + at, len, at);
    if (n != static_cast<long>(len)) {
        f.failed_.store(true, std::memory_order_release);  // shrank or unreadable
    } else {
        f.loaded_.store(at + len, std::memory_order_release);
    }
    post_([file] { file->wakeWaiters(); });
    // The next chunk goes to the back of the queue: other files' reads are not held up.
    if (!f.failed() && f.loaded() < f.size_) push([this, file] { loadChunk(file); });
}

void FileReader::read(const FilePtr& file, std::uint64_t offset, std::size_t len,
                      std::uint8_t* dest, std::shared_ptr<void> keep,
                      std::function<void(long)> done) {
    push([this, file, offset, len, dest, keep = std::move(keep), done = std::move(done)] {
        const long n = readCounted(file, dest, len, offset);
        post_([keep, done, n] { done(n); });
    });
}

}  // namespace rpinetboot::tftpd
