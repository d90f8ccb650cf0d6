// libdhcp_rpinb_drop_hook.so: a test library that drops (or skips) every packet at one hook
// point, loaded before or after the rpi-netboot hook to check that the hook honours another
// library's verdict (Kea hooks developer guide: callouts of later libraries see the status that
// earlier ones set). Parameters: "hook-point": "pkt4_receive" | "pkt4_send";
// "status": "drop" | "skip".
#include <cc/data.h>
#include <hooks/hooks.h>

#include <string>

using isc::hooks::CalloutHandle;

namespace {

CalloutHandle::CalloutNextStep gStatus = CalloutHandle::NEXT_STEP_DROP;

int setStatus(CalloutHandle& handle) {
    handle.setStatus(gStatus);
    return 0;
}

std::string stringParameter(isc::hooks::LibraryHandle& handle, const std::string& name) {
    const auto value = handle.getParameter(name);
    if (!value || value->getType() != isc::data::Element::string) return "";
    return value->stringValue();
}

}  // namespace

extern "C" {

int version() {
    return KEA_HOOKS_VERSION;
}

int multi_threading_compatible() {
    return 1;
}

int load(isc::hooks::LibraryHandle& handle) {
    const std::string point = stringParameter(handle, "hook-point");
    const std::string status = stringParameter(handle, "status");
    if (point != "pkt4_receive" && point != "pkt4_send") return 1;
    if (status != "drop" && status != "skip") return 1;
    gStatus = status == "drop" ? CalloutHandle::NEXT_STEP_DROP : CalloutHandle::NEXT_STEP_SKIP;
    handle.registerCallout(point, setStatus);
    return 0;
}

int unload() {
    return 0;
}

}  // extern "C"
