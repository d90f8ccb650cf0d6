// rpinetboot-facts: prints core's per-model Pi facts as JSON, so that the Python lab and
// benchmarks read the same table as the C++ code instead of keeping a copy. The build runs it
// into <build>/pi-facts.json (core/CMakeLists.txt); tests/lab/boot_files.py reads that file.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/request_list.h"

using namespace rpinetboot;
using nlohmann::json;

namespace {

json dialectJson(const TftpDialect& d) {
    return {{"tsize", d.tsize}, {"blksize", d.blksize ? json(*d.blksize) : json(nullptr)}};
}

json modelJson(PiModel model) {
    const PiModelFacts& f = facts(model);
    json j = {{"class", f.className},
              {"board", f.board},
              {"shape", shapeName(f.shape)},
              {"sends_request", f.sendsRequest},
              {"needs_padded_menu", f.needsPaddedMenu},
              {"firmware_tftp", dialectJson(f.firmwareTftp)},
              {"device_tree", deviceTree(model)},
              {"default_kernels", defaultKernels(model)}};
    const ByteSpan list = requestListOf(f.requestList);
    j["request_list"] = std::vector<int>(list.begin(), list.end());
    j["config_filters"] = json::array();
    for (auto filter : f.configFilters) {
        if (!filter.empty()) j["config_filters"].push_back(filter);
    }
    j["boot_plan"] = json::array();
    for (const BootFileStep& s : bootPlan(model)) {
        j["boot_plan"].push_back({{"kind", stepKindName(s.kind)},
                                  {"file", s.file},
                                  {"required", s.required},
                                  {"purpose", purposeName(s.purpose)},
                                  {"tftp", dialectJson(s.dialect)}});
    }
    return j;
}

json allFacts() {
    json j;
    j["vendor_class"] = kPiVendorClass;
    j["class_all"] = kClassAll;
    j["models"] = json::object();
    for (PiModel m : kPiModels) j["models"][std::string(piModelName(m))] = modelJson(m);
    return j;
}

int usage(std::ostream& out, int rc) {
    out << "usage: rpinetboot-facts --json [--out FILE]\n"
           "Prints the per-model Raspberry Pi facts of librpinetboot-core as JSON.\n";
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    bool asJson = false;
    std::string outPath;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--json") {
            asJson = true;
        } else if (arg == "--out" && i + 1 < argc) {
            outPath = argv[++i];
        } else if (arg == "--help" || arg == "-h") {
            return usage(std::cout, 0);
        } else {
            std::cerr << "rpinetboot-facts: unknown argument " << arg << "\n";
            return usage(std::cerr, 2);
        }
    }
    if (!asJson) return usage(std::cerr, 2);
    const std::string text = allFacts().dump(2) + "\n";
    if (outPath.empty()) {
        std::cout << text;
        return 0;
    }
    std::ofstream out(outPath, std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        std::cerr << "rpinetboot-facts: cannot write " << outPath << "\n";
        return 1;
    }
    return 0;
}
