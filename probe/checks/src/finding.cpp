#include "rpinetboot/probe/finding.h"

#include <algorithm>

namespace rpinetboot::probe {

const char* verdictName(Verdict v) {
    switch (v) {
        case Verdict::Ok:
            return "ok";
        case Verdict::Info:
            return "info";
        case Verdict::Warn:
            return "warn";
        case Verdict::Fail:
            return "fail";
    }
    return "fail";
}

bool sound(const std::vector<Finding>& findings) {
    return std::none_of(findings.begin(), findings.end(),
                        [](const Finding& f) { return f.verdict == Verdict::Fail; });
}

}  // namespace rpinetboot::probe
