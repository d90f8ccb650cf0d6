#include "rpinetboot/probe/route_check.h"

namespace rpinetboot::probe {

Finding routeElsewhere(const std::string& action, const std::string& problem) {
    return makeFinding(FindingId::RouteElsewhere, {action, problem});
}

}  // namespace rpinetboot::probe
