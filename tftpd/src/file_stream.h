// A transfer's view of its file. A file held in memory is read in place (waiting only while the
// reader is still loading that part); a streamed file goes through two chunk buffers of its own,
// the next one read ahead on the reader thread while the transfer sends from the other. So a
// streamed transfer holds at most 2 x kChunk, and the event loop never waits for the disk.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "file_cache.h"
#include "file_reader.h"

namespace rpinetboot::tftpd {

class FileStream {
  public:
    static constexpr std::size_t kChunk = 64 << 10;

    FileStream(FilePtr file, FileReader& reader, std::size_t blockSize);

    // Bytes [offset, offset+len) if available now. Otherwise nullptr, and `wake` runs once on
    // the loop thread when it is worth asking again (unless failed()). The pointer stays valid
    // until the next call: copy it (streamed) or send it (in memory) before asking again.
    const std::uint8_t* get(std::uint64_t offset, std::size_t len, std::function<void()> wake);
    // The file could not be read (it shrank, or a read failed).
    bool failed() const;
    const FilePtr& file() const { return file_; }

  private:
    struct Chunk {
        std::shared_ptr<std::vector<std::uint8_t>> buffer;
        std::uint64_t offset = 0;
        std::size_t length = 0;  // bytes valid once ready
        bool reading = false;
        bool ready = false;
    };
    struct Core {
        Chunk chunks[2];
        std::function<void()> wake;
        bool failed = false;
    };
    void startRead(std::size_t which, std::uint64_t offset);

    FilePtr file_;
    FileReader& reader_;
    std::size_t chunkLength_;
    std::shared_ptr<Core> core_;
};

}  // namespace rpinetboot::tftpd
