// Test tool over rpinetboot_probe_tftp: walks a Pi 4 or Pi 3 boot against a server, or does one
// fetch, printing one JSON object per line for the Python tests.
//   tftp_pi_client boot --server IP --port N --model pi4|pi4-2019|pi3 [--prefix P]
//                       [--probe-style oack|data1] [--out DIR]
//   tftp_pi_client fetch --server IP --port N --file NAME [--option name=value]...
//                        [--stop none|oack|data1] [--timeout-ms N] [--retries N] [--out FILE]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "rpinetboot/probe/pi_tftp.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

std::string json(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string resultJson(const TftpResult& r) {
    std::string oack = "{";
    for (std::size_t i = 0; i < r.oack.size(); ++i) {
        oack += (i ? "," : "") + json(r.oack[i].name) + ":" + json(r.oack[i].value);
    }
    oack += "}";
    return std::string("{\"outcome\":") + json(toString(r.outcome)) +
           ",\"bytes\":" + std::to_string(r.bytes) +
           ",\"tsize\":" + (r.tsize ? std::to_string(*r.tsize) : "null") +
           ",\"blksize\":" + std::to_string(r.blockSize) +
           ",\"oack_received\":" + (r.oackReceived ? "true" : "false") + ",\"oack\":" + oack +
           ",\"error_code\":" + std::to_string(r.errorCode) + ",\"error\":" + json(r.errorMessage) +
           ",\"local_port\":" + std::to_string(r.localPort) +
           ",\"requests\":" + std::to_string(r.requestsSent) +
           ",\"duplicates\":" + std::to_string(r.duplicateData) +
           ",\"first_reply_us\":" + std::to_string(r.firstReply.count()) +
           ",\"elapsed_us\":" + std::to_string(r.elapsed.count()) + "}";
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
        req.fileTimeout = std::chrono::milliseconds(20000);
        auto r = tftpFetch(*server, req);
        std::cout << resultJson(r) << std::endl;
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
    std::vector<PiBootStep> steps;
    if (model == "pi4") {
        steps = pi4BootSequence(PiTftpClient::Pi4Eeprom2022);
    } else if (model == "pi4-2019") {
        steps = pi4BootSequence(PiTftpClient::Pi4Eeprom2019);
    } else if (model == "pi3") {
        steps = pi3BootSequence();
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
        std::cout << "{\"file\":" << json(s.step.file) << ",\"requested\":" << json(s.requested)
                  << ",\"client\":" << json(toString(s.step.client))
                  << ",\"ok\":" << (s.ok ? "true" : "false");
        if (s.probed) std::cout << ",\"probe\":" << resultJson(s.probe);
        if (s.fetched) std::cout << ",\"fetch\":" << resultJson(s.fetch);
        std::cout << "}" << std::endl;
        if (!outDir.empty() && s.fetched && s.fetch.outcome == TftpOutcome::Complete) {
            std::string name = s.requested;
            for (auto& c : name) c = c == '/' ? '_' : c;
            std::ofstream(outDir + "/" + name, std::ios::binary)
                .write(reinterpret_cast<const char*>(s.fetch.data.data()),
                       static_cast<std::streamsize>(s.fetch.data.size()));
        }
    };
    auto walk = runPiBoot(*server, steps, opts);
    std::cout << "{\"done\":true,\"ok\":" << (walk.ok ? "true" : "false")
              << ",\"prefix\":" << json(walk.prefix) << "}" << std::endl;
    return walk.ok ? 0 : 1;
}
