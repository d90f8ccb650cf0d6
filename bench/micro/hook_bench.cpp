// Per-packet cost of the Kea hook's logic (Google Benchmark): what pkt4_receive and pkt4_send
// add to each query, on Kea's own packet objects. Goal: under 1 microsecond per packet.
//
// A Pkt4 is changed by the hook (classes added, options replaced), so every iteration starts from
// the wire bytes. Two benchmarks run the same Kea work, one with the hook's calls and one
// without; the hook's cost is their difference, which the report prints. BM_HookOnly times the
// hook's two calls (classification on receive, injection on send) directly.
#include <benchmark/benchmark.h>
#include <cc/data.h>
#include <dhcp/dhcp4.h>
#include <dhcp/option.h>
#include <dhcp/option_int.h>
#include <dhcp/pkt4.h>
#include <hooks/callout_handle.h>
#include <hooks/callout_manager.h>

#include <boost/make_shared.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_packets.h"
#include "hook_config.h"
#include "hook_stats.h"
#include "netboot_logic.h"
#include "os_phase.h"
#include "pi_registry.h"

namespace {

using isc::dhcp::Pkt4;
using isc::dhcp::Pkt4Ptr;
using rpinetboot::bench::Template;
namespace stats = rpinetboot::kea::stats;

const std::vector<Template>& templates() {
    static const std::vector<Template> all = rpinetboot::bench::allTemplates();
    return all;
}

const rpinetboot::kea::NetbootLogic& logic() {
    // The benchmark network's server as option 66, as an admin configures it.
    static const rpinetboot::kea::NetbootLogic instance(rpinetboot::kea::HookConfig::parse(
        isc::data::Element::fromJSON(R"({"tftp-server": "192.0.2.1"})")));
    return instance;
}

// The callout asks for a reason only when debug logging is on; Kea's default (and the benchmark
// configuration's WARN) has it off, so the timed calls do not ask either.
constexpr bool kExplain = false;

// Kea hands packets to callouts with option copying on (ScopedEnableOptionsCopy, so that a hook
// cannot change options shared with the configuration): the packets here are set up the same way.
Pkt4Ptr unpacked(const Template& t) {
    Pkt4Ptr query(new Pkt4(t.discover.data(), t.discover.size()));
    query->unpack();
    query->setCopyRetrievedOptions(true);
    return query;
}

// The OFFER Kea would build before pkt4_send: type, server id, lease time, the client's address.
Pkt4Ptr offerFor(const Pkt4& query) {
    Pkt4Ptr offer(new Pkt4(isc::dhcp::DHCPOFFER, query.getTransid()));
    offer->setHWAddr(query.getHWAddr());
    offer->setYiaddr(isc::asiolink::IOAddress("198.51.100.10"));
    offer->addOption(isc::dhcp::OptionPtr(new isc::dhcp::OptionInt<std::uint32_t>(
        isc::dhcp::Option::V4, isc::dhcp::DHO_DHCP_SERVER_IDENTIFIER, 0xc0000201)));
    offer->addOption(isc::dhcp::OptionPtr(new isc::dhcp::OptionInt<std::uint32_t>(
        isc::dhcp::Option::V4, isc::dhcp::DHO_DHCP_LEASE_TIME, 86400)));
    offer->setCopyRetrievedOptions(true);
    return offer;
}

// Kea's part alone: parse the query, build the OFFER, pack it.
void BM_KeaOnly(benchmark::State& state) {
    const Template& t = templates().at(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        Pkt4Ptr query = unpacked(t);
        Pkt4Ptr offer = offerFor(*query);
        offer->pack();
        benchmark::DoNotOptimize(offer->getBuffer().getLength());
    }
    state.SetLabel(t.name);
}

// The same with the hook: classify on receive, put options 43/60/66 in on send.
void BM_KeaWithHook(benchmark::State& state) {
    const Template& t = templates().at(static_cast<std::size_t>(state.range(0)));
    const auto& hook = logic();
    for (auto _ : state) {
        Pkt4Ptr query = unpacked(t);
        const auto received = hook.onReceive(*query, kExplain);
        Pkt4Ptr offer = offerFor(*query);
        const auto sent = hook.onSend(received.decision, *offer);
        offer->pack();
        benchmark::DoNotOptimize(sent.patched);
        benchmark::DoNotOptimize(offer->getBuffer().getLength());
    }
    state.SetLabel(t.name);
}

// The hook's calls alone, measured directly: a batch of fresh query/OFFER pairs is built with
// the clock paused (Pkt4 objects are changed by the hook, so each is used once), then the timed
// part runs on each pair. The per-packet time is the batch time over the batch size; pausing the
// clock once per batch keeps its own cost out of the result. BM_HookOnly times classification
// (onReceive) + injection (onSend), what the goal is about; the two others split it.
enum class Part { Both, Receive, Send, BothAndStats };

template <Part part>
void hookOnly(benchmark::State& state) {
    constexpr std::size_t kBatch = 256;
    const Template& t = templates().at(static_cast<std::size_t>(state.range(0)));
    const auto& hook = logic();
    std::vector<Pkt4Ptr> queries(kBatch), offers(kBatch);
    std::vector<rpinetboot::kea::PiDecision> decisions(kBatch);
    for (auto _ : state) {
        state.PauseTiming();
        for (std::size_t i = 0; i < kBatch; ++i) {
            queries[i] = unpacked(t);
            offers[i] = offerFor(*queries[i]);
            if (part == Part::Send) decisions[i] = hook.onReceive(*queries[i], kExplain).decision;
        }
        state.ResumeTiming();
        for (std::size_t i = 0; i < kBatch; ++i) {
            if (part == Part::BothAndStats) {
                // What the callouts add around the logic: Kea's StatsMgr counters, three per Pi
                // query (received, received per stage, answered), as callouts.cpp counts them.
                const auto received = hook.onReceive(*queries[i], kExplain);
                if (received.outcome == rpinetboot::kea::ReceiveOutcome::Pi) {
                    stats::add(stats::kReceived);
                    stats::add(stats::receivedByClass(received.decision.piClass));
                }
                if (hook.onSend(received.decision, *offers[i]).patched) {
                    stats::add(stats::kAnswered);
                }
                continue;
            }
            if (part != Part::Send) {
                decisions[i] = hook.onReceive(*queries[i], kExplain).decision;
            }
            if (part != Part::Receive) {
                benchmark::DoNotOptimize(hook.onSend(decisions[i], *offers[i]).patched);
            }
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
    // Times are per batch; micro.py divides by this.
    state.counters["batch"] = static_cast<double>(kBatch);
    state.SetLabel(t.name);
}

void BM_HookOnly(benchmark::State& state) {
    hookOnly<Part::Both>(state);
}
void BM_HookReceive(benchmark::State& state) {
    hookOnly<Part::Receive>(state);
}
void BM_HookSend(benchmark::State& state) {
    hookOnly<Part::Send>(state);
}
void BM_HookWithStats(benchmark::State& state) {
    hookOnly<Part::BothAndStats>(state);
}

void allTemplates(benchmark::internal::Benchmark* b) {
    for (std::size_t i = 0; i < templates().size(); ++i) b->Arg(static_cast<int64_t>(i));
}

BENCHMARK(BM_KeaOnly)->Apply(allTemplates);
BENCHMARK(BM_KeaWithHook)->Apply(allTemplates);
// A fixed count of batches (16384 packets): with the clock paused for most of the work, an
// adaptive count would build millions of packets to fill --benchmark_min_time for the cheap parts.
constexpr benchmark::IterationCount kBatches = 64;
BENCHMARK(BM_HookOnly)->Apply(allTemplates)->Iterations(kBatches);
BENCHMARK(BM_HookReceive)->Apply(allTemplates)->Iterations(kBatches);
BENCHMARK(BM_HookSend)->Apply(allTemplates)->Iterations(kBatches);
BENCHMARK(BM_HookWithStats)->Apply(allTemplates)->Iterations(kBatches);

// A query that is not a Pi's, in pkt4_receive up to where it leaves (goal: under 30 ns): the
// query taken from Kea's CalloutHandle, the test for option 60 (x86 PXE, which has one, goes on
// to NetbootLogic's classification), then for a query without it the registry's lock-free test
// of its MAC (callouts.cpp pkt4_receive, identity_callouts.cpp receiveOs). The registry holds a
// fleet of 1,000 Pis. Kea sets the handle's arguments before calling any library: not timed.
// nonPiFirstCallout is one query's way through, true when it left by the early exit; not
// inlined, so that callgrind counts its instructions per call.
__attribute__((noinline)) bool nonPiFirstCallout(isc::hooks::CalloutHandle& handle,
                                                 const rpinetboot::kea::NetbootLogic& hook,
                                                 const rpinetboot::kea::OsPhase& os,
                                                 const rpinetboot::kea::PiRegistry& registry) {
    const auto status = handle.getStatus();
    if (status == isc::hooks::CalloutHandle::NEXT_STEP_DROP ||
        status == isc::hooks::CalloutHandle::NEXT_STEP_SKIP) {
        return false;
    }
    static const std::string kQueryArg = "query4";  // made once, as callouts.cpp does
    Pkt4Ptr query;
    handle.getArgument(kQueryArg, query);
    if (query->options_.find(isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER) != query->options_.end()) {
        return !hook.onReceive(*query, kExplain).decision.isPi;
    }
    rpinetboot::MacAddress::Bytes bytes{};
    const auto hw = query->getHWAddr();
    if (hw && hw->hwaddr_.size() == bytes.size()) {
        std::copy(hw->hwaddr_.begin(), hw->hwaddr_.end(), bytes.begin());
    }
    return !os.mayBeKnown(registry, rpinetboot::MacAddress(bytes));
}

void BM_NonPiFirstCallout(benchmark::State& state) {
    constexpr std::size_t kBatch = 256;
    const Template& t = templates().at(static_cast<std::size_t>(state.range(0)));
    const auto& hook = logic();
    const rpinetboot::kea::OsPhase os(hook);
    rpinetboot::kea::PiRegistry registry;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        rpinetboot::kea::PiRecord r;
        r.mac = rpinetboot::MacAddress::fromOui(0xdca632, i * 7919u);
        r.address = 0xc6336400u + i;
        registry.put(r);
    }
    const auto manager = boost::make_shared<isc::hooks::CalloutManager>();
    std::vector<std::unique_ptr<isc::hooks::CalloutHandle>> handles(kBatch);
    std::size_t left = 0;
    for (auto _ : state) {
        state.PauseTiming();
        for (auto& handle : handles) {
            handle = std::make_unique<isc::hooks::CalloutHandle>(manager);
            handle->setArgument("query4", unpacked(t));
        }
        state.ResumeTiming();
        for (auto& handle : handles) {
            if (nonPiFirstCallout(*handle, hook, os, registry)) ++left;
        }
    }
    if (left != static_cast<std::size_t>(state.iterations()) * kBatch) {
        state.SkipWithError("a non-Pi query did not take the early exit");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
    state.counters["batch"] = static_cast<double>(kBatch);
    state.SetLabel(t.name);
}

void nonPiTemplates(benchmark::internal::Benchmark* b) {
    for (std::size_t i = 0; i < templates().size(); ++i) {
        if (!templates()[i].pi) b->Arg(static_cast<int64_t>(i));
    }
}

BENCHMARK(BM_NonPiFirstCallout)->Apply(nonPiTemplates)->Iterations(kBatches);

// The hook must decide right, or its cost is not the cost of the real thing.
bool decisionsAreRight() {
    bool ok = true;
    for (const Template& t : templates()) {
        Pkt4Ptr query = unpacked(t);
        const auto received = logic().onReceive(*query);
        Pkt4Ptr offer = offerFor(*query);
        const auto sent = logic().onSend(received.decision, *offer);
        if (sent.patched != t.pi) {
            std::fprintf(stderr, "hook_bench: template %s %s: %s\n", t.name.c_str(),
                         sent.patched ? "patched" : "not patched", received.reason.c_str());
            ok = false;
        }
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        stats::reset();  // registers the hook's statistics, as load() does
        if (!decisionsAreRight()) return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hook_bench: %s\n", e.what());
        return 1;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
