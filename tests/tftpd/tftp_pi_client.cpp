// Test tool over rpinetboot_probe_tftp: walks a Pi 4 or Pi 3 boot against a server, or does one
// fetch, printing one JSON object per line for the Python tests.
//   tftp_pi_client boot --server IP --port N --model pi4|pi4-2019|pi3 [--prefix P]
//                       [--probe-style oack|data1] [--out DIR]
//   tftp_pi_client fetch --server IP --port N --file NAME [--option name=value]...
//                        [--stop none|oack|data1] [--timeout-ms N] [--retries N] [--out FILE]
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "rpinetboot/probe/pi_tftp.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

using json = nlohmann::ordered_json;  // keys in the order written (OACK order matters)

// Server error texts may hold any bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
std::string line(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json resultJson(const TftpResult& r) {
    json oack = json::object();
    for (const auto& o : r.oack) oack[o.name] = o.value;
    return {{"outcome", toString(r.outcome)},
            {"bytes", r.bytes},
            {"tsize", r.tsize ? json(*r.tsize) : json(nullptr)},
            {"blksize", r.blockSize},
            {"oack_received", r.oackReceived},
            {"oack", oack},
            {"error_code", r.errorCode},
            {"error", r.errorMessage},
            {"local_port", r.localPort},
            {"requests", r.requestsSent},
            {"duplicates", r.duplicateData},
            {"first_reply_us", r.firstReply.count()},
            {"elapsed_us", r.elapsed.count()}};
}

int usage() {
    std::cerr << "usage: tftp_pi_client boot|fetch --server IP --port N ... (see source)\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const std::string cmd = argv[1];
    std::map<std::string, std::string> args;
    tftp::Options options;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        if (key == "--option") {
            std::string kv = argv[i + 1];
            auto eq = kv.find('=');
            if (eq == std::string::npos) return usage();
            options.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
        } else {
            args[key] = argv[i + 1];
        }
    }
    auto server =
        TftpServer::parse(args["--server"], static_cast<std::uint16_t>(std::stoi(args["--port"])));
    if (!server) return usage();
    auto stopStyle = [](const std::string& s) {
        return s == "oack"    ? EarlyStop::AfterOack
               : s == "data1" ? EarlyStop::AfterData1
                              : EarlyStop::None;
    };
    if (cmd == "fetch") {
        TftpRequest req;
        req.filename = args["--file"];
        req.options = options;
        req.stop = stopStyle(args["--stop"]);
        if (args.count("--timeout-ms")) {
            req.packetTimeout = std::chrono::milliseconds(std::stoi(args["--timeout-ms"]));
        }
        if (args.count("--retries"))
            req.retries = static_cast<unsigned>(std::stoi(args["--retries"]));
        req.fileTimeout = std::chrono::milliseconds(
            args.count("--file-timeout-ms") ? std::stoi(args["--file-timeout-ms"]) : 20000);
        auto r = tftpFetch(*server, req);
        std::cout << line(resultJson(r)) << std::endl;
        if (args.count("--out")) {
            std::ofstream(args["--out"], std::ios::binary)
                .write(reinterpret_cast<const char*>(r.data.data()),
                       static_cast<std::streamsize>(r.data.size()));
        }
        return r.outcome == TftpOutcome::Complete || r.outcome == TftpOutcome::EarlyTerminated ? 0
                                                                                               : 1;
    }
    if (cmd != "boot") return usage();
    const std::string model = args["--model"];
    std::vector<BootFileStep> steps;
    if (model == "pi4") {
        steps = bootPlan(PiModel::Pi4);
    } else if (model == "pi4-2019") {
        // The same walk as a Pi 4 EEPROM of 2019-2022 speaks it: blksize 1024.
        steps = bootPlan(PiModel::Pi4);
        for (auto& step : steps) step.dialect = kEeprom2019Tftp;
    } else if (model == "pi3") {
        steps = bootPlan(PiModel::Rom3);
    } else {
        return usage();
    }
    PiBootOptions opts;
    opts.prefix = args["--prefix"];
    opts.probeStyle =
        args["--probe-style"] == "data1" ? EarlyStop::AfterData1 : EarlyStop::AfterOack;
    opts.keepData = args.count("--out") > 0;
    opts.packetTimeout = std::chrono::milliseconds(1000);
    opts.retries = 3;
    const std::string outDir = args["--out"];
    opts.onStep = [&](const PiBootStepResult& s) {
        json j = {{"file", s.step.file},
                  {"requested", s.requested},
                  {"kind", std::string(stepKindName(s.step.kind))},
                  {"ok", s.ok}};
        if (s.probed) j["probe"] = resultJson(s.probe);
        if (s.fetched) j["fetch"] = resultJson(s.fetch);
        std::cout << line(j) << std::endl;
        if (!outDir.empty() && s.fetched && s.fetch.outcome == TftpOutcome::Complete) {
            std::string name = s.requested;
            for (auto& c : name) c = c == '/' ? '_' : c;
            std::ofstream(outDir + "/" + name, std::ios::binary)
                .write(reinterpret_cast<const char*>(s.fetch.data.data()),
                       static_cast<std::streamsize>(s.fetch.data.size()));
        }
    };
    auto walk = runPiBoot(*server, steps, opts);
    std::cout << line({{"done", true}, {"ok", walk.ok}, {"prefix", walk.prefix}}) << std::endl;
    return walk.ok ? 0 : 1;
}
