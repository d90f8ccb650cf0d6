// Kea API differences between the versions this hook builds against (Debian 12's Kea 2.2 and
// ISC's 2.4 to 3.0). KEA_HOOKS_VERSION is a C++ constant, not a macro, so CMake reads it from
// hooks/hooks.h into RPI_NETBOOT_KEA_HOOKS_VERSION for the preprocessor; the static_assert below
// keeps the two in step.
//
// What changed, and why the hook needs no more than this:
// - 2.7.4 split Pkt::addClass(name, required) into addClass/addAdditionalClass: the hook only
//   calls addClass(name), which means the same thing in every version.
// - 2.7.5 made the subnet4 callout argument a ConstSubnet4Ptr and 3.0 passes subnet4 to
//   pkt4_send: the hook reads no subnet4 argument; it finds the subnet of an OFFER in the
//   current configuration (rom_hold.cpp).
// - 2.3.6 added offer-lifetime and 2.5.4 the lease4_offer hook point: the hook's own ROM hold
//   works in every version, so it does not depend on either.
#pragma once

#include <hooks/hooks.h>

#ifndef RPI_NETBOOT_KEA_HOOKS_VERSION
#error "RPI_NETBOOT_KEA_HOOKS_VERSION must be set by the build (kea-hook/CMakeLists.txt)"
#endif

static_assert(KEA_HOOKS_VERSION == RPI_NETBOOT_KEA_HOOKS_VERSION,
              "RPI_NETBOOT_KEA_HOOKS_VERSION does not match hooks/hooks.h");
static_assert(RPI_NETBOOT_KEA_HOOKS_VERSION >= 20200 && RPI_NETBOOT_KEA_HOOKS_VERSION < 30100,
              "this hook supports Kea 2.2 to 3.0");

// Callout status values were renamed nowhere in this range; kept in one place anyway.
#define RPI_NETBOOT_NEXT_STEP_DROP isc::hooks::CalloutHandle::NEXT_STEP_DROP
