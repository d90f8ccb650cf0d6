#include "hook_event_writer.h"

namespace rpinetboot::kea {

HookEventWriter::HookEventWriter(std::unique_ptr<EventSink> target, std::size_t capacity,
                                 Render render, std::chrono::milliseconds poll)
    : target_(std::move(target)), render_(std::move(render)), poll_(poll), ring_(capacity) {
    thread_ = std::thread([this] { run(); });
}

HookEventWriter::~HookEventWriter() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        paused_ = false;
    }
    wake_.notify_one();
    thread_.join();
}

std::string HookEventWriter::describe() const {
    return "queue(" + std::to_string(ring_.capacity()) + ") -> " + target_->describe();
}

bool HookEventWriter::push(const HookEvent& record) noexcept {
    if (!ring_.tryPush(record)) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    // Sequentially consistent, as the writer's store of sleeping_ and its load of accepted_:
    // either the writer sees this record before it sleeps, or this sees it sleeping and wakes
    // it. Awake (polling or writing), it is left alone. (On x86 as cheap as relaxed.)
    accepted_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) {
        try {
            std::lock_guard<std::mutex> lock(mutex_);
            wake_.notify_one();
        } catch (...) {
            // The writer still finds the record at its next periodic look.
        }
    }
    return true;
}

bool HookEventWriter::dropLogDue(std::chrono::steady_clock::duration interval) noexcept {
    const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    std::int64_t last = lastDropLog_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < interval.count()) return false;
    return lastDropLog_.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

void HookEventWriter::pauseDrain(bool paused) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = paused;
    }
    wake_.notify_one();
}

bool HookEventWriter::flush(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return drained_.wait_for(lock, timeout, [this] {
        return written_.load(std::memory_order_relaxed) ==
               accepted_.load(std::memory_order_relaxed);
    });
}

bool HookEventWriter::wakeWanted() {
    // Records accepted and not yet taken (written_ counts what the writer took).
    return stopping_ || (!paused_ && accepted_.load(std::memory_order_seq_cst) !=
                                         written_.load(std::memory_order_relaxed));
}

std::size_t HookEventWriter::drain(std::vector<BootEvent>& batch) {
    std::size_t total = 0;
    HookEvent record;
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (paused_) break;
        }
        std::size_t taken = 0, n = 0;
        while (taken < kMaxBatch && ring_.tryPop(record)) {
            ++taken;
            try {
                render_(record, batch[n]);
                ++n;
            } catch (...) {
                lost_.fetch_add(1, std::memory_order_relaxed);  // out of memory: Kea goes on
            }
        }
        if (taken == 0) break;
        try {
            target_->emitBatch(batch.data(), n);
        } catch (...) {
            lost_.fetch_add(n, std::memory_order_relaxed);
        }
        written_.fetch_add(taken, std::memory_order_relaxed);
        total += taken;
        { std::lock_guard<std::mutex> lock(mutex_); }
        drained_.notify_all();
    }
    return total;
}

bool HookEventWriter::stopRequested() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
}

void HookEventWriter::run() {
    // Rendered in place: after the first batches their strings have the room they need.
    std::vector<BootEvent> batch(kMaxBatch);
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            sleeping_.store(true, std::memory_order_seq_cst);
            // The timeout only bounds the harm of a wake-up lost to a failed notify.
            while (!wakeWanted()) wake_.wait_for(lock, std::chrono::seconds(1));
            sleeping_.store(false, std::memory_order_relaxed);
        }
        // Awake: look at the ring every poll interval until it stayed empty for kIdlePolls
        // looks. Meanwhile producers see the writer awake and never pay for a wake-up: under
        // steady traffic the packet path is the ring and nothing else.
        for (std::size_t idle = 0; idle < kIdlePolls;) {
            if (stopRequested()) break;
            if (poll_.count() > 0) std::this_thread::sleep_for(poll_);
            idle = drain(batch) == 0 ? idle + 1 : 0;
        }
        if (stopRequested()) {
            drain(batch);
            if (accepted_.load() == written_.load()) break;
        }
    }
    drained_.notify_all();
}

}  // namespace rpinetboot::kea
