#include "hold_book.h"

#include <algorithm>

namespace rpinetboot::kea {

namespace {

// Whether a Pi that was held at stage `before` and now asks at stage `now` has come back at its
// next stage. The Pi 3B ROM (ROM3) loads bootcode.bin, which asks as BOOTCODE. The Pi 3B+ ROM
// and bootcode.bin both send the BOOTCODE shape, so a second BOOTCODE query confirms as well
// (a bootcode.bin retry then also does: it costs a sender two packets per address, as a
// DISCOVER and REQUEST do with Kea alone). A ROM3 asking again is the ROM's retry, not proof.
bool nextStage(PiModel before, PiModel now) {
    return now == PiModel::Bootcode && (before == PiModel::Rom3 || before == PiModel::Bootcode);
}

}  // namespace

HoldPlan HoldBook::plan(const MacAddress& mac, PiModel stage, std::uint32_t subnet,
                        std::uint32_t offeredLifetime, std::time_t now) {
    HoldPlan plan;
    const auto it = entries_.find(mac);
    if (it != entries_.end()) {
        Entry& e = it->second;
        // Still within the time its hold lasts (or would have lasted, if it was given back
        // under pressure: the Pi itself does not know and comes back all the same).
        const bool alive =
            e.confirmed ? now < e.hold.cltt + static_cast<std::time_t>(e.hold.lifetime)
                        : now < e.seen + static_cast<std::time_t>(limits_.unconfirmedLifetime);
        plan.confirmed = alive && (e.confirmed || nextStage(e.stage, stage));
        // Its own slot is not room another MAC must make: record() queues it again.
        if (e.queued) dequeue(e);
    }
    plan.lifetime =
        plan.confirmed ? offeredLifetime : std::min(offeredLifetime, limits_.unconfirmedLifetime);
    if (plan.confirmed) return plan;

    Subnet& s = subnets_[subnet];
    expire(s, now);
    while (!s.unconfirmed.empty() && s.unconfirmed.size() >= limits_.maxUnconfirmed) {
        Entry& oldest = entries_.at(s.unconfirmed.front());
        plan.release.push_back(oldest.hold);
        oldest.ours = false;  // the caller gives its lease back
        dequeue(oldest);
    }
    return plan;
}

bool HoldBook::record(const HoldRecord& hold, PiModel stage, bool confirmed, bool ours) {
    Entry& e = entries_[hold.mac];
    if (e.queued) dequeue(e);
    e.hold = hold;
    e.stage = stage;
    e.confirmed = confirmed;
    e.ours = ours;
    e.seen = hold.cltt;
    e.generation = ++generation_;
    rememberOrder_.emplace_back(hold.mac, e.generation);
    bool reached = false;
    if (ours && !confirmed) {
        Subnet& s = subnets_[hold.subnet];
        e.position = s.unconfirmed.insert(s.unconfirmed.end(), hold.mac);
        e.queued = true;
        if (s.unconfirmed.size() >= limits_.maxUnconfirmed && !s.atCap) {
            s.atCap = true;
            reached = true;
        }
    }
    forgetOld(hold.cltt);
    return reached;
}

bool HoldBook::isOurs(const HoldRecord& hold) const {
    const auto it = entries_.find(hold.mac);
    if (it == entries_.end() || !it->second.ours) return false;
    const HoldRecord& mine = it->second.hold;
    return mine.address == hold.address && mine.cltt == hold.cltt && mine.lifetime == hold.lifetime;
}

std::size_t HoldBook::unconfirmed(std::uint32_t subnet) const {
    const auto it = subnets_.find(subnet);
    return it == subnets_.end() ? 0 : it->second.unconfirmed.size();
}

std::vector<std::uint32_t> HoldBook::subnets() const {
    std::vector<std::uint32_t> ids;
    for (const auto& [id, s] : subnets_) ids.push_back(id);
    return ids;
}

void HoldBook::expire(Subnet& s, std::time_t now) {
    // Queued in the order they were held, all with the same short lifetime: expired ones are
    // at the front. Kea's reclamation takes care of their leases.
    while (!s.unconfirmed.empty()) {
        Entry& e = entries_.at(s.unconfirmed.front());
        if (now < e.hold.cltt + static_cast<std::time_t>(e.hold.lifetime)) break;
        e.ours = false;
        dequeue(e);
    }
    if (s.atCap && s.unconfirmed.size() * 2 < limits_.maxUnconfirmed) s.atCap = false;
}

void HoldBook::dequeue(Entry& e) {
    subnets_.at(e.hold.subnet).unconfirmed.erase(e.position);
    e.queued = false;
    // Out of the queue it may be forgotten in time: give it a place in the forgetting order.
    e.generation = ++generation_;
    rememberOrder_.emplace_back(e.hold.mac, e.generation);
}

void HoldBook::forgetOld(std::time_t now) {
    while (!rememberOrder_.empty()) {
        const auto [mac, generation] = rememberOrder_.front();
        const auto it = entries_.find(mac);
        if (it == entries_.end() || it->second.generation != generation) {
            rememberOrder_.pop_front();  // superseded by a later record
            continue;
        }
        const Entry& e = it->second;
        const std::time_t until =
            e.confirmed ? e.hold.cltt + static_cast<std::time_t>(e.hold.lifetime)
                        : e.seen + static_cast<std::time_t>(limits_.unconfirmedLifetime);
        if (entries_.size() <= kMaxRemembered && now < until) break;
        // A queued hold is forgotten only once out of its queue (dequeue() re-enters it).
        if (!e.queued) entries_.erase(it);
        rememberOrder_.pop_front();
    }
    // Superseded records behind a live one: compact when they pile up (a MAC held again and
    // again within its lifetime).
    if (rememberOrder_.size() > 4 * kMaxRemembered) {
        std::deque<std::pair<MacAddress, std::uint64_t>> live;
        for (const auto& [mac, generation] : rememberOrder_) {
            const auto it = entries_.find(mac);
            if (it != entries_.end() && it->second.generation == generation) {
                live.emplace_back(mac, generation);
            }
        }
        rememberOrder_.swap(live);
    }
}

}  // namespace rpinetboot::kea
