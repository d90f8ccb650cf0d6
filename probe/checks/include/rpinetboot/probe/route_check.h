// The probe talks through one interface only: a server reached through another route is not
// what the Pi on this interface would reach, so the stage stops and says why.
#pragma once

#include <string>

#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

// `action`: what the probe does not do ("probing TFTP"); `problem`: the route it found.
Finding routeElsewhere(const std::string& action, const std::string& problem);

}  // namespace rpinetboot::probe
