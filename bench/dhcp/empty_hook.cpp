// libdhcp_rpinb_empty_hook.so: a control library for the hook overhead benchmark.
//
// Kea charges every packet for dispatching to any library registered at pkt4_receive and
// pkt4_send (a CalloutHandle per packet, its argument map, a Stopwatch per callout), whatever the
// callouts do. This library registers both and does nothing in them, so that kea-dhcp4 with it,
// against kea-dhcp4 with no library, measures that floor; our hook is then compared with it.

#include <hooks/hooks.h>

extern "C" {

int version() {
    return KEA_HOOKS_VERSION;
}

int multi_threading_compatible() {
    return 1;
}

int load(isc::hooks::LibraryHandle& /*handle*/) {
    return 0;
}

int unload() {
    return 0;
}

int pkt4_receive(isc::hooks::CalloutHandle& /*handle*/) {
    return 0;
}

int pkt4_send(isc::hooks::CalloutHandle& /*handle*/) {
    return 0;
}

}  // extern "C"
