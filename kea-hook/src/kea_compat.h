// Kea API differences between the versions this hook builds against (Debian 12's Kea 2.2 to
// ISC's 3.0). KEA_HOOKS_VERSION is a C++ constant, not a macro, so CMake reads it from
// hooks/hooks.h into RPI_NETBOOT_KEA_HOOKS_VERSION for the preprocessor; the static_assert below
// keeps the two in step. Build and link differences (library names, kea.pc, <config.h>,
// OpenSSL) are handled in one other place, cmake/FindKea.cmake.
//
// Build-tested, hook and unit tests: Kea 2.2.0 (Debian 12), 2.6.3 (Debian 13) and 3.0.4 (Debian
// sid), the last two in the chroots of scripts/kea-chroot.sh (`make kea-matrix`). Other 2.4 to 3.0
// releases are covered by the version checks below but not built here. The differences come from
// Kea's ChangeLog and headers (ChangeLog entry numbers in parentheses) and are handled as follows;
// README "kea-hook" lists them.
// Guarded in the build:
// - Kea 2.2.0 installs no dhcpsrv/cfg_globals.h (fixed in 2.4.0, 2148): kea-hook/CMakeLists.txt
//   adds kea-hook/compat only when the header is missing.
// - 2.7.2 made dhcpsrv/srv_config.h include config/http_command_config.h, which reaches
//   asiolink/crypto_tls.h: that header stops unless Kea's <config.h> came first, and its OpenSSL
//   backend brings in Boost.Asio's SSL error category, which calls libcrypto.
//   cmake/FindKea.cmake force-includes <config.h> (on every version, as in Kea's own sources)
//   and links libcrypto from 2.7.2 on.
// - 2.7.7 added the Meson build (2333), the only one from 3.0.0: libkea-dhcp++ became
//   libkea-dhcp, libkea-dns++ libkea-dns, and kea.pc is installed; cmake/FindKea.cmake knows both.
// Guarded in code:
// - 2.3.8 added per-pool statistics and Lease::pool_id_ (2143, 2156): rom_hold.cpp also counts a
//   held lease in subnet[S].pool[P].assigned-addresses when RPI_NETBOOT_KEA_HOOKS_VERSION >= 20400,
//   detecting the Pool id getter and the lease field by name.
// - KEA_HOOKS_VERSION carries the patch level (2.6.3 = 20603, 3.0.4 = 30004): the range check
//   below allows it.
// Needing no code, because the hook uses only the part of an API that did not change:
// - 2.7.4 split Pkt::addClass(name, required) into addClass/addAdditionalClass: the hook only
//   calls addClass(name), which means the same thing in every version.
// - 2.7.5 made the subnet4 callout argument a ConstSubnet4Ptr and 3.0 passes subnet4 to
//   pkt4_send: the hook reads no subnet4 argument; it finds the subnet of an OFFER in the
//   current configuration (rom_hold.cpp), through const member functions only.
// - Pkt4 option access (getOption returns a copy; delOption/addOption), LibraryHandle::
//   getParameters(), CalloutHandle get/setContext and setStatus(NEXT_STEP_DROP), LeaseMgr
//   getLease4/addLease/updateLease4, Lease4's constructor and StatsMgr addValue/setValue/del keep
//   their 2.2 signatures through 3.0 (compiled against 2.2.0, 2.6.3 and 3.0.4); isc::log's LOG_*
//   macros and MessageInitializer too.
// - 2.3.5 turned multi-threading on by default (2103): the hook is multi-threading compatible.
// - 2.3.6 added offer-lifetime (2115) and 2.5.4 the lease4_offer hook point (2177): with
//   offer-lifetime Kea itself stores the OFFER's lease, which the ROM hold then finds as the
//   Pi's own lease and leaves as it is (HoldOutcome::Refreshed); the hold works without them.
// - 2.3.6 added kea-dhcp4 -T, which (unlike -t) calls load() and so checks hook parameters (2114).
// - 2.3.8: a callout that throws now makes Kea drop the packet (2128): no callout here throws.
// - 2.7.9 loads hooks only from the hooks directory (Debian's 2.6.3 already does): the package
//   installs the hook there.
#pragma once

#include <hooks/hooks.h>

#include <cstdint>

#ifndef RPI_NETBOOT_KEA_HOOKS_VERSION
#error "RPI_NETBOOT_KEA_HOOKS_VERSION must be set by the build (kea-hook/CMakeLists.txt)"
#endif

static_assert(KEA_HOOKS_VERSION == RPI_NETBOOT_KEA_HOOKS_VERSION,
              "RPI_NETBOOT_KEA_HOOKS_VERSION does not match hooks/hooks.h");
// 2.2.x to 3.0.x, patch levels included (KEA_HOOKS_VERSION 20200 .. 30099).
static_assert(RPI_NETBOOT_KEA_HOOKS_VERSION >= 20200 && RPI_NETBOOT_KEA_HOOKS_VERSION < 30100,
              "this hook supports Kea 2.2 to 3.0");

// Callout status values were renamed nowhere in this range; kept in one place anyway.
#define RPI_NETBOOT_NEXT_STEP_DROP isc::hooks::CalloutHandle::NEXT_STEP_DROP

namespace rpinetboot::kea {

// A Pool's id (2.3.8 added it, 2143): the getter is getID() or getId() depending on the
// version, detected by name because only some versions are built here. Call as poolIdOf(pool, 0).
template <typename P>
auto poolIdOf(const P& pool, int) -> decltype(static_cast<std::uint64_t>(pool.getID())) {
    return pool.getID();
}
template <typename P>
auto poolIdOf(const P& pool, long) -> decltype(static_cast<std::uint64_t>(pool.getId())) {
    return pool.getId();
}

}  // namespace rpinetboot::kea
