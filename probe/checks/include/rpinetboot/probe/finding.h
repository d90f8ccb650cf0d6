// A single verdict of the probe: a stable code for scripts and a plain-words message for admins.
#pragma once

#include <string>
#include <vector>

namespace rpinetboot::probe {

enum class Verdict { Ok, Info, Warn, Fail };

struct Finding {
    Verdict verdict = Verdict::Ok;
    std::string code;     // stable, e.g. "no-option-43"; documented in the README
    std::string message;  // one or two sentences an admin can act on
};

const char* verdictName(Verdict v);  // "ok", "info", "warn", "fail"

// True when none of the findings is a failure.
bool sound(const std::vector<Finding>& findings);

}  // namespace rpinetboot::probe
