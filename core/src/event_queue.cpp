#include "rpinetboot/event_sink.h"

namespace rpinetboot {

QueuedSink::QueuedSink(std::unique_ptr<EventSink> target, std::size_t capacity)
    : target_(std::move(target)), ring_(capacity == 0 ? 1 : capacity) {
    thread_ = std::thread([this] { run(); });
}

QueuedSink::~QueuedSink() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        paused_ = false;
    }
    wake_.notify_one();
    thread_.join();
}

std::string QueuedSink::describe() const {
    return "queue(" + std::to_string(ring_.size()) + ") -> " + target_->describe();
}

void QueuedSink::emit(const BootEvent& event) {
    // The copy happens before the lock; under it only a move into the slot.
    push(BootEvent(event));
}

bool QueuedSink::push(BootEvent&& event) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (size_ == ring_.size() || stopping_) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        ring_[(head_ + size_) % ring_.size()] = std::move(event);
        ++size_;
        accepted_.fetch_add(1, std::memory_order_relaxed);
    }
    wake_.notify_one();
    return true;
}

void QueuedSink::pauseDrain(bool paused) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = paused;
    }
    wake_.notify_one();
}

bool QueuedSink::flush(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return drained_.wait_for(lock, timeout,
                             [this] { return size_ == 0 && written_.load() == accepted_.load(); });
}

void QueuedSink::run() {
    std::vector<BootEvent> batch;
    batch.reserve(ring_.size());
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || (size_ > 0 && !paused_); });
        if (size_ == 0 && stopping_) break;
        // Take everything queued, then write it without the lock held.
        while (size_ > 0) {
            batch.push_back(std::move(ring_[head_]));
            head_ = (head_ + 1) % ring_.size();
            --size_;
        }
        lock.unlock();
        for (const auto& e : batch) {
            target_->emit(e);
        }
        lock.lock();
        written_.fetch_add(batch.size(), std::memory_order_relaxed);
        batch.clear();
        drained_.notify_all();
    }
    drained_.notify_all();
}

}  // namespace rpinetboot
