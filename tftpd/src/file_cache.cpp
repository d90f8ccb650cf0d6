#include "file_cache.h"

#include <unistd.h>

#include <cerrno>

namespace rpinetboot::tftpd {

const std::uint8_t* FileData::read(std::uint64_t offset, std::size_t len,
                                   std::uint8_t* scratch) const {
    if (offset + len > size_) return nullptr;
    if (inMemory()) return bytes_.data() + offset;
    std::size_t done = 0;
    while (done < len) {
        auto n = ::pread(fd_.get(), scratch + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return nullptr;
        done += static_cast<std::size_t>(n);
    }
    return scratch;
}

FilePtr FileCache::get(UniqueFd fd, const struct stat& st) {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    auto data = std::make_shared<FileData>();
    data->size_ = size;
    if (size > limits_.maxFileBytes) {
        data->fd_ = std::move(fd);  // streamed: one descriptor per transfer, not cached
        return data;
    }
    Key key{st.st_dev, st.st_ino, size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    auto it = entries_.find(key);
    if (it != entries_.end()) {
        ++hits_;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.file;
    }
    ++misses_;
    data->bytes_.resize(size);
    std::size_t done = 0;
    while (done < size) {
        auto n =
            ::pread(fd.get(), data->bytes_.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return nullptr;  // shrank while reading: refuse rather than serve garbage
        done += static_cast<std::size_t>(n);
    }
    lru_.push_front(key);
    entries_.emplace(key, Entry{data, lru_.begin()});
    bytes_ += size;
    evict();
    return data;
}

void FileCache::evict() {
    // Oldest first; entries still used by a transfer stay alive through its own reference.
    while (bytes_ > limits_.maxBytes && !lru_.empty()) {
        auto it = entries_.find(lru_.back());
        bytes_ -= it->second.file->size();
        entries_.erase(it);
        lru_.pop_back();
    }
}

void FileCache::clear() {
    entries_.clear();
    lru_.clear();
    bytes_ = 0;
}

void FileCache::setLimits(const Limits& limits) {
    limits_ = limits;
    evict();
}

std::uint64_t FileCache::bytesHeld() const {
    return bytes_;
}
std::size_t FileCache::entries() const {
    return entries_.size();
}

}  // namespace rpinetboot::tftpd
