#include "file_stream.h"

#include <algorithm>

namespace rpinetboot::tftpd {

FileStream::FileStream(FilePtr file, FileReader& reader, std::size_t blockSize)
    : file_(std::move(file)),
      reader_(reader),
      // Whole blocks per chunk, so that a block never straddles two.
      chunkLength_(std::max<std::size_t>(1, kChunk / std::max<std::size_t>(blockSize, 1)) *
                   std::max<std::size_t>(blockSize, 1)),
      core_(std::make_shared<Core>()) {}

bool FileStream::failed() const {
    return file_->inMemory() ? file_->failed() : core_->failed;
}

void FileStream::startRead(std::size_t which, std::uint64_t offset) {
    Chunk& c = core_->chunks[which];
    if (!c.buffer) c.buffer = std::make_shared<std::vector<std::uint8_t>>(chunkLength_);
    const auto len =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunkLength_, file_->size() - offset));
    c.offset = offset;
    c.length = 0;
    c.reading = true;
    c.ready = false;
    std::weak_ptr<Core> weak = core_;
    reader_.read(file_, offset, len, c.buffer->data(), c.buffer, [weak, which, len](long n) {
        auto core = weak.lock();
        if (!core) return;  // the transfer ended meanwhile
        Chunk& done = core->chunks[which];
        done.reading = false;
        if (n != static_cast<long>(len)) {
            core->failed = true;  // shorter than at the start: the file changed
        } else {
            done.ready = true;
            done.length = len;
        }
        if (auto wake = std::move(core->wake)) {
            core->wake = nullptr;
            wake();
        }
    });
}

const std::uint8_t* FileStream::get(std::uint64_t offset, std::size_t len,
                                    std::function<void()> wake) {
    if (file_->inMemory()) {
        if (const auto* p = file_->bytes(offset, len)) return p;
        if (!file_->failed()) file_->whenLoaded(std::move(wake));
        return nullptr;
    }
    if (core_->failed) return nullptr;
    for (std::size_t i = 0; i < 2; ++i) {
        Chunk& c = core_->chunks[i];
        if (!c.ready || offset < c.offset || offset + len > c.offset + c.length) continue;
        // Serving from this chunk: read the one after it into the other buffer meanwhile.
        Chunk& other = core_->chunks[1 - i];
        const std::uint64_t next = c.offset + c.length;
        if (next < file_->size() && !other.reading && !(other.ready && other.offset == next)) {
            startRead(1 - i, next);
        }
        return c.buffer->data() + (offset - c.offset);
    }
    core_->wake = std::move(wake);
    for (const Chunk& c : core_->chunks) {
        if (c.reading && offset >= c.offset && offset < c.offset + chunkLength_) return nullptr;
    }
    // Not there and not coming (the start, or a client that went back): read it now into a
    // buffer that is not being filled.
    for (std::size_t i = 0; i < 2; ++i) {
        if (!core_->chunks[i].reading) {
            startRead(i, offset);
            return nullptr;
        }
    }
    return nullptr;  // both busy: the first completion wakes us to ask again
}

}  // namespace rpinetboot::tftpd
