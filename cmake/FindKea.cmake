# FindKea: Kea's development headers and libraries, for building a Kea hook library.
#
#   find_package(Kea [VERSION] [REQUIRED] COMPONENTS dhcpsrv dhcp hooks ...)
#
# Components are Kea library names without the "kea-" prefix, spelled as up to Kea 2.6; each is
# looked up under every name it has had (see the layouts below). Results:
#   Kea::Kea            INTERFACE imported target: include directory (SYSTEM), the components'
#                       libraries, OpenSSL's libcrypto where Kea needs it, `-include config.h`
#   Kea_FOUND, Kea_VERSION (x.y.z), Kea_VERSION_MAJOR/_MINOR/_PATCH
#   KEA_HOOKS_VERSION   e.g. 20200, 20603, 30004: the hook ABI, from hooks/hooks.h
#   Kea_INCLUDE_DIR     the directory holding hooks/hooks.h (…/include/kea)
#   Kea_LIBRARY_DIR     the directory holding libkea-hooks.so
#   Kea_HOOKS_DIR       <Kea_LIBRARY_DIR>/kea/hooks, where Kea loads hook libraries from
#   Kea_LIBRARIES       full paths of the components' libraries
#
# Layouts handled (each checked in Kea's source at the tag named, or in the Debian packages):
# - Debian 12 kea-dev 2.2.0 and trixie's 2.6.3 (autotools builds): headers in
#   /usr/include/kea, libraries libkea-<name>.so, no pkg-config file. Kea's Makefile.am names:
#   libkea-dhcp++, libkea-dns++, libkea-cfgclient (isc-projects/kea Kea-2.6.3:
#   src/lib/dhcp/Makefile.am, src/lib/dns/Makefile.am, src/lib/config/Makefile.am).
# - Kea built with Meson (added in 2.7.7, ChangeLog entry 2333; the only build system from 3.0.0):
#   libkea-dhcp, libkea-dns, and libkea-config plus libkea-cfgrpt where cfgclient was (Kea-3.0.4:
#   src/lib/dhcp/meson.build, src/lib/dns/meson.build, src/lib/config/meson.build,
#   src/lib/process/cfgrpt/meson.build). Meson also installs kea.pc (Kea-3.0.4: meson.build,
#   pkg.generate with filebase 'kea', subdirs 'kea'); Debian sid's kea-dev 3.0.4 ships it.
#   kea.pc's Requires names every optional backend Kea was built with (sid's: openssl, log4cplus,
#   mariadb, libpq), so `pkg-config --cflags kea` fails unless all their -dev packages are
#   installed; only `--modversion` and `--variable` are used here, as hints.
# - ISC's own packages (isc-kea-dev, from ISC's Cloudsmith repositories, see the Kea ARM
#   "Installation" chapter) are built from the same sources with the same install layout under
#   /usr, so the two cases above cover them: 2.6 (autotools) as Debian's 2.6, 3.0 (Meson) as
#   Debian's 3.0. Set Kea_ROOT or CMAKE_PREFIX_PATH for a Kea installed elsewhere (e.g. /opt).
# - Kea's sources start every file with #include <config.h> (Kea-3.0.4: tools/add-config-h.sh),
#   and since 2.7.2 dhcpsrv/srv_config.h reaches asiolink/crypto_tls.h, which stops with
#   "config.h must be included before crypto_tls.h" otherwise: Kea::Kea force-includes the
#   installed config.h into every source that uses it, on every version, as Kea's own hooks see
#   it.
# - With its OpenSSL backend (WITH_OPENSSL in config.h), Kea's asiolink/openssl_tls.h includes
#   <boost/asio/ssl.hpp>, whose header-only error category calls libcrypto (ERR_lib_error_string,
#   ERR_reason_error_string: undefined in a 3.0.4 build without it), so a hook linked with
#   --no-undefined needs libcrypto from 2.7.2 on, when dhcpsrv headers started to include it
#   (see above). Earlier versions don't, and there it would only add an unused dependency.
include(FindPackageHandleStandardArgs)

find_package(PkgConfig QUIET)
set(_kea_pc_includedir)
set(_kea_pc_libdir)
if(PKG_CONFIG_FOUND)
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --modversion kea
        OUTPUT_VARIABLE _kea_pc_version OUTPUT_STRIP_TRAILING_WHITESPACE
        RESULT_VARIABLE _kea_pc_rc ERROR_QUIET)
    if(_kea_pc_rc EQUAL 0)
        pkg_get_variable(_kea_pc_includedir kea includedir)
        pkg_get_variable(_kea_pc_libdir kea libdir)
    endif()
endif()

find_path(Kea_INCLUDE_DIR hooks/hooks.h
    HINTS ${_kea_pc_includedir}
    PATH_SUFFIXES kea)

set(KEA_HOOKS_VERSION)
set(Kea_VERSION)
if(Kea_INCLUDE_DIR)
    file(STRINGS ${Kea_INCLUDE_DIR}/hooks/hooks.h _kea_line REGEX "KEA_HOOKS_VERSION *= *[0-9]+")
    string(REGEX MATCH "[0-9]+" KEA_HOOKS_VERSION "${_kea_line}")
    # config.h: VERSION is quoted in both the autotools and the Meson config.h (PACKAGE_VERSION
    # is not quoted in Meson's).
    if(EXISTS ${Kea_INCLUDE_DIR}/config.h)
        file(STRINGS ${Kea_INCLUDE_DIR}/config.h _kea_line REGEX "^#define VERSION \"")
        string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" Kea_VERSION "${_kea_line}")
    endif()
    # KEA_HOOKS_VERSION is major*10000 + minor*100 + patch.
    if(NOT Kea_VERSION AND KEA_HOOKS_VERSION)
        math(EXPR _maj "${KEA_HOOKS_VERSION} / 10000")
        math(EXPR _min "(${KEA_HOOKS_VERSION} / 100) % 100")
        math(EXPR _pat "${KEA_HOOKS_VERSION} % 100")
        set(Kea_VERSION ${_maj}.${_min}.${_pat})
    endif()
    if(Kea_VERSION MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)")
        set(Kea_VERSION_MAJOR ${CMAKE_MATCH_1})
        set(Kea_VERSION_MINOR ${CMAKE_MATCH_2})
        set(Kea_VERSION_PATCH ${CMAKE_MATCH_3})
    endif()
endif()

find_library(Kea_hooks_LIBRARY NAMES kea-hooks HINTS ${_kea_pc_libdir})
set(Kea_LIBRARY_DIR)
set(Kea_HOOKS_DIR)
if(Kea_hooks_LIBRARY)
    get_filename_component(Kea_LIBRARY_DIR ${Kea_hooks_LIBRARY} DIRECTORY)
    set(Kea_HOOKS_DIR ${Kea_LIBRARY_DIR}/kea/hooks)
endif()

# Names each component has had; the Meson name first.
set(_kea_names_dhcp kea-dhcp kea-dhcp++)
set(_kea_names_dns kea-dns kea-dns++)
set(_kea_names_cfgclient kea-config kea-cfgclient)

set(Kea_LIBRARIES)
set(_kea_required_vars Kea_INCLUDE_DIR KEA_HOOKS_VERSION Kea_hooks_LIBRARY)
foreach(_comp IN LISTS Kea_FIND_COMPONENTS)
    set(_names kea-${_comp})
    if(DEFINED _kea_names_${_comp})
        set(_names ${_kea_names_${_comp}})
    endif()
    find_library(Kea_${_comp}_LIBRARY NAMES ${_names} HINTS ${Kea_LIBRARY_DIR} ${_kea_pc_libdir})
    if(Kea_${_comp}_LIBRARY)
        set(Kea_${_comp}_FOUND TRUE)
        list(APPEND Kea_LIBRARIES ${Kea_${_comp}_LIBRARY})
        # Meson split cfgclient into config and cfgrpt.
        if(_comp STREQUAL "cfgclient" AND Kea_${_comp}_LIBRARY MATCHES "kea-config")
            find_library(Kea_cfgrpt_LIBRARY NAMES kea-cfgrpt HINTS ${Kea_LIBRARY_DIR})
            if(Kea_cfgrpt_LIBRARY)
                list(APPEND Kea_LIBRARIES ${Kea_cfgrpt_LIBRARY})
            endif()
        endif()
    else()
        set(Kea_${_comp}_FOUND FALSE)
    endif()
    if(Kea_FIND_REQUIRED_${_comp})
        list(APPEND _kea_required_vars Kea_${_comp}_LIBRARY)
    endif()
endforeach()

set(_kea_crypto)
if(Kea_INCLUDE_DIR AND Kea_VERSION AND EXISTS ${Kea_INCLUDE_DIR}/config.h)
    file(STRINGS ${Kea_INCLUDE_DIR}/config.h _kea_openssl REGEX "^#define WITH_OPENSSL")
    if(_kea_openssl AND Kea_VERSION VERSION_GREATER_EQUAL 2.7.2)
        find_package(OpenSSL QUIET COMPONENTS Crypto)
        if(OpenSSL_FOUND)
            set(_kea_crypto OpenSSL::Crypto)
        else()
            # kea-dev 3.0 does not depend on libssl-dev, though its headers need it.
            message(SEND_ERROR "Kea ${Kea_VERSION} uses OpenSSL: install OpenSSL's headers "
                               "(Debian: libssl-dev)")
        endif()
    endif()
endif()

find_package_handle_standard_args(Kea
    REQUIRED_VARS ${_kea_required_vars}
    VERSION_VAR Kea_VERSION
    HANDLE_COMPONENTS)

if(Kea_FOUND AND NOT TARGET Kea::Kea)
    add_library(Kea::Kea INTERFACE IMPORTED GLOBAL)  # also for test libraries in tests/
    set_target_properties(Kea::Kea PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES ${Kea_INCLUDE_DIR}
        INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${Kea_INCLUDE_DIR}
        INTERFACE_LINK_LIBRARIES "${Kea_LIBRARIES};${_kea_crypto}")
    if(EXISTS ${Kea_INCLUDE_DIR}/config.h)
        set_property(TARGET Kea::Kea PROPERTY
            INTERFACE_COMPILE_OPTIONS "SHELL:-include ${Kea_INCLUDE_DIR}/config.h")
    endif()
endif()
mark_as_advanced(Kea_INCLUDE_DIR Kea_hooks_LIBRARY Kea_cfgrpt_LIBRARY)
