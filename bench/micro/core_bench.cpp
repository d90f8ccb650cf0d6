// Per-packet cost of the Pi decision in core (Google Benchmark): classify a request and encode
// the option 43 a Pi gets. The packets are the benchmarks' templates (core's exact Pi DISCOVERs
// and two non-Pi clients); the goal is under 1 microsecond per packet.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_packets.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"

namespace {

using rpinetboot::bench::Template;

struct Parsed {
    Template tpl;
    rpinetboot::DhcpPacket packet;
};

const std::vector<Parsed>& packets() {
    static const std::vector<Parsed> all = [] {
        std::vector<Parsed> out;
        for (Template& t : rpinetboot::bench::allTemplates()) {
            std::string error;
            auto packet = rpinetboot::parseDhcpPacket(t.discover, &error);
            if (!packet) throw std::runtime_error("template " + t.name + ": " + error);
            out.push_back({std::move(t), std::move(*packet)});
        }
        return out;
    }();
    return all;
}

rpinetboot::DhcpRequestView viewOf(const rpinetboot::DhcpPacket& p) {
    rpinetboot::DhcpRequestView v;
    if (const auto* vc = p.option(rpinetboot::kOptionVendorClass)) {
        v.vendorClass = std::string_view(reinterpret_cast<const char*>(vc->data()), vc->size());
    }
    if (const auto* prl = p.option(rpinetboot::kOptionParameterRequestList)) v.requestList = *prl;
    if (const auto* id = p.option(rpinetboot::kOptionClientIdentifier)) v.option97 = *id;
    v.mac = p.chaddr;
    v.xid = p.xid;
    return v;
}

// What the hook does per query: classify; for a Pi, the option 43 its stage needs.
void classifyAndEncode(const rpinetboot::DhcpRequestView& view,
                       const rpinetboot::ClassifierConfig& config) {
    const rpinetboot::Classification c = rpinetboot::classify(view, config);
    if (c.isPi) {
        auto option43 = rpinetboot::encodeOption43(rpinetboot::kDefaultMenuText,
                                                   c.piClass == rpinetboot::PiModel::Rom3);
        benchmark::DoNotOptimize(option43.data());
    }
    benchmark::DoNotOptimize(c.isPi);
}

void BM_ClassifyAndEncode(benchmark::State& state) {
    const Parsed& p = packets().at(static_cast<std::size_t>(state.range(0)));
    const rpinetboot::ClassifierConfig config;
    const rpinetboot::DhcpRequestView view = viewOf(p.packet);
    for (auto _ : state) {
        classifyAndEncode(view, config);
    }
    state.SetLabel(p.tpl.name);
}

// The same from the wire bytes: core's own BOOTP parser first (Kea parses with its own).
void BM_ParseClassifyAndEncode(benchmark::State& state) {
    const Parsed& p = packets().at(static_cast<std::size_t>(state.range(0)));
    const rpinetboot::ClassifierConfig config;
    for (auto _ : state) {
        auto packet = rpinetboot::parseDhcpPacket(p.tpl.discover, nullptr);
        classifyAndEncode(viewOf(*packet), config);
    }
    state.SetLabel(p.tpl.name);
}

void allTemplates(benchmark::internal::Benchmark* b) {
    for (std::size_t i = 0; i < packets().size(); ++i) b->Arg(static_cast<int64_t>(i));
}

BENCHMARK(BM_ClassifyAndEncode)->Apply(allTemplates);
BENCHMARK(BM_ParseClassifyAndEncode)->Apply(allTemplates);

// A benchmark of the wrong decision measures nothing: every Pi template must classify as a Pi,
// every other template as not one.
bool decisionsAreRight() {
    const rpinetboot::ClassifierConfig config;
    bool ok = true;
    for (const Parsed& p : packets()) {
        const auto c = rpinetboot::classify(viewOf(p.packet), config);
        if (c.isPi != p.tpl.pi) {
            std::fprintf(stderr, "core_bench: template %s classified %s: %s\n", p.tpl.name.c_str(),
                         c.isPi ? "as a Pi" : "as not a Pi", c.reason.c_str());
            ok = false;
        }
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (!decisionsAreRight()) return 1;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
