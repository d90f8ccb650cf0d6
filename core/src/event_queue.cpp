// QueuedSink: the shared queue (event_queue.h) over BootEvent, behind the EventSink interface.
#include "rpinetboot/event_queue.h"

#include "rpinetboot/event_sink.h"

namespace rpinetboot {

QueuedSink::QueuedSink(std::unique_ptr<EventSink> target, std::size_t capacity)
    : queue_(std::make_unique<EventQueue<BootEvent>>(
          std::move(target), capacity,
          // One move: the batch's slot takes the event's string buffers and hands its old ones
          // back (libstdc++'s move assignment swaps them), so buffers circulate, none is freed.
          [](BootEvent& record, BootEvent& out) { out = std::move(record); })) {}

QueuedSink::~QueuedSink() = default;

std::string QueuedSink::describe() const {
    return queue_->describe();
}

void QueuedSink::emit(const BootEvent& event) {
    // The copy happens here, on the caller's thread; the ring only takes the move.
    push(BootEvent(event));
}

bool QueuedSink::push(BootEvent&& event) {
    return queue_->push(std::move(event));
}

std::uint64_t QueuedSink::accepted() const {
    return queue_->accepted();
}
std::uint64_t QueuedSink::dropped() const {
    return queue_->dropped();
}
std::uint64_t QueuedSink::written() const {
    return queue_->written();
}
std::size_t QueuedSink::capacity() const {
    return queue_->capacity();
}

bool QueuedSink::flush(std::chrono::milliseconds timeout) {
    return queue_->flush(timeout);
}

void QueuedSink::pauseDrain(bool paused) {
    queue_->pauseDrain(paused);
}

}  // namespace rpinetboot
