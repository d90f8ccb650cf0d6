// One read transfer as a state machine with time injected: no sockets, no clocks of its own.
// The glue sends what it is told (OACK, or a run of DATA blocks) and feeds back ACKs, client
// ERRORs and timer expiries.
#pragma once

#include <chrono>
#include <cstdint>

namespace rpinetboot::tftpd {

class Transfer {
  public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;
    using Duration = std::chrono::milliseconds;

    struct Params {
        std::uint64_t fileSize = 0;
        std::uint16_t blockSize = 512;
        std::uint16_t windowSize = 1;
        bool sendOack = false;
        Duration timeout{1000};     // first retransmit timeout
        Duration maxTimeout{4000};  // backoff ceiling
        // Adaptive: once the client has answered unrepeated packets, the first retransmit
        // timeout follows its measured round trip (RFC 6298: SRTT + 4 RTTVAR, samples only
        // from packets sent once, Karn's rule), between minTimeout and `timeout`. Off when the
        // client asked for a `timeout` (RFC 2349): that one is kept as granted.
        bool adaptive = false;
        Duration minTimeout{200};
        unsigned maxRetries = 5;  // retransmits of one window before giving up
        // An OACK or DATA 1 never acknowledged is a half-open transfer: it ends this soon.
        Duration halfOpenTimeout{3000};
        // However the timeouts and retries add up, a transfer without progress for this long
        // has failed (see TransferPolicy for why 30 s).
        Duration maxSilence{30000};
    };

    enum class Status { Running, Complete, TimedOut, ClientError };

    // What to send now. `oack` and a DATA run are exclusive. Blocks are absolute (1-based,
    // 64-bit); the wire number is block & 0xffff (rollover to 0 as most clients expect).
    struct Send {
        bool oack = false;
        std::uint64_t firstBlock = 0;
        std::uint64_t count = 0;
        bool empty() const { return !oack && count == 0; }
    };

    Transfer(const Params& params, TimePoint now);

    Send start(TimePoint now);
    Send onAck(std::uint16_t block, TimePoint now);
    // The client sent ERROR: the Pi's "Early terminate" probe, or a real abort.
    void onClientError();
    // Call when the deadline passes (early calls are harmless and return nothing).
    Send onTimer(TimePoint now);

    Status status() const { return status_; }
    bool running() const { return status_ == Status::Running; }
    // No acknowledgement yet (OACK or DATA 1 outstanding).
    bool halfOpen() const { return !established_; }
    // When the client last acknowledged something new (the start until it does).
    TimePoint lastProgress() const { return lastProgress_; }
    // The client ended it with ERROR before acknowledging any DATA: the Pi's probe ("Early
    // terminate" after the OACK, or after DATA 1 from older firmware, firmware#1700).
    bool endedByProbe() const { return status_ == Status::ClientError && acked_ == 0; }
    TimePoint deadline() const { return deadline_; }
    // The first retransmit timeout of the next window (after progress).
    Duration baseTimeout() const;
    // The smoothed round trip, once measured (zero before).
    std::chrono::microseconds smoothedRtt() const { return srtt_; }
    // This transfer's floor of the adaptive timeout: minTimeout, doubled (up to `timeout`)
    // after each retransmit that turned out spurious.
    Duration timeoutFloor() const { return floor_; }
    unsigned spuriousRetransmits() const { return spurious_; }

    std::uint64_t totalBlocks() const { return totalBlocks_; }
    std::uint64_t blocksAcked() const { return acked_; }
    std::uint64_t bytesAcked() const;
    unsigned retransmits() const { return retransmits_; }
    // Byte range of an absolute block in the file.
    std::uint64_t blockOffset(std::uint64_t block) const;
    std::size_t blockLength(std::uint64_t block) const;
    static std::uint16_t wireBlock(std::uint64_t block) {
        return static_cast<std::uint16_t>(block & 0xffff);
    }
    // Files needing more than 65535 blocks make the block number roll over, which Pi
    // bootloaders before 2025-09-23 cannot follow (rpi-eeprom#720).
    bool needsRollover() const { return totalBlocks_ > 0xffff; }

  private:
    Send nextWindow(TimePoint now);
    void arm(TimePoint now);
    // A new ACK (or the OACK's ACK 0) arrived at `now`: one round-trip sample, unless what it
    // acknowledges was sent more than once.
    void sampleRtt(TimePoint now);
    // After progress: the sample, then the timeout of the next window.
    void progressTimeout(TimePoint now);

    Params p_;
    std::uint64_t totalBlocks_;
    std::uint64_t acked_ = 0;     // highest block acknowledged (0: none, or the OACK)
    std::uint64_t sentUpTo_ = 0;  // highest block sent
    bool oackOutstanding_ = false;
    bool established_ = false;
    Status status_ = Status::Running;
    TimePoint startedAt_;
    TimePoint lastProgress_;
    TimePoint deadline_;
    Duration currentTimeout_;
    TimePoint windowSentAt_;  // when the outstanding OACK or window was (first) sent
    bool windowResent_ = false;
    bool haveRtt_ = false;
    Duration floor_;
    unsigned spurious_ = 0;
    std::chrono::microseconds srtt_{0};
    std::chrono::microseconds rttvar_{0};
    unsigned retries_ = 0;
    unsigned retransmits_ = 0;
};

}  // namespace rpinetboot::tftpd
