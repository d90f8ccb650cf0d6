#include "file_cache.h"

#include "file_reader.h"

namespace rpinetboot::tftpd {

FileData::~FileData() {
    if (memory_ && resident_) resident_->fetch_sub(size_);
}

void FileData::wakeWaiters() const {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& wake : waiters) wake();
}

FileCache::FileCache(const Limits& limits, FileReader& reader)
    : limits_(limits),
      reader_(reader),
      resident_(std::make_shared<std::atomic<std::uint64_t>>(0)) {}

bool FileCache::makeRoom(std::uint64_t need) {
    if (need > limits_.maxBytes) return false;
    // Least recently used first; an entry a transfer (or the reader) still uses stays.
    for (auto it = lru_.end(); resident_->load() + need > limits_.maxBytes && it != lru_.begin();) {
        --it;
        auto e = entries_.find(*it);
        if (e->second.file.use_count() > 1) continue;
        entries_.erase(e);  // frees the memory (and its count) now: nobody else holds it
        it = lru_.erase(it);
    }
    return resident_->load() + need <= limits_.maxBytes;
}

FilePtr FileCache::find(const struct stat& st) {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    auto it = entries_.find(Key{st.st_dev, st.st_ino, size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec});
    if (it == entries_.end() || it->second.file->failed()) return nullptr;
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.file;
}

FilePtr FileCache::get(UniqueFd fd, const struct stat& st) {
    if (auto hit = find(st)) return hit;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    Key key{st.st_dev, st.st_ino, size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    auto it = entries_.find(key);
    if (it != entries_.end()) {  // a failed load: forget it, try again
        lru_.erase(it->second.lru);
        entries_.erase(it);
    }
    ++misses_;
    auto data = std::make_shared<FileData>(size, std::move(fd));
    if (size > limits_.maxFileBytes || !makeRoom(size)) {
        ++streamed_;
        if (size <= limits_.maxFileBytes && !full_) {
            full_ = true;
            fullNoticed_ = false;
        }
        return data;  // streamed by its transfer, in chunks
    }
    full_ = false;
    if (size > 0) {
        // Not zero-filled: pages are only touched as the reader fills them.
        data->memory_.reset(new std::uint8_t[size]);
    } else {
        data->memory_.reset(new std::uint8_t[1]);
    }
    data->resident_ = resident_;
    resident_->fetch_add(size);
    lru_.push_front(key);
    entries_.emplace(key, Entry{data, lru_.begin()});
    reader_.load(data);
    return data;
}

bool FileCache::takeFullNotice() {
    if (!full_ || fullNoticed_) return false;
    fullNoticed_ = true;
    return true;
}

void FileCache::clear() {
    entries_.clear();
    lru_.clear();
}

void FileCache::setLimits(const Limits& limits) {
    limits_ = limits;
    makeRoom(0);
}

}  // namespace rpinetboot::tftpd
