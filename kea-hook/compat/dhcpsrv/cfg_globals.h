// Stand-in for <dhcpsrv/cfg_globals.h>, which Kea 2.2.0's "make install" (and so Debian 12's
// kea-dev) leaves out although network.h, srv_config.h and d2_client_cfg.h include it
// (zorun/kea-hook-runscript#26). Used only when the real header is missing
// (kea-hook/CMakeLists.txt).
//
// It declares just the names those headers mention, so that they compile. Kea's libraries hold the
// real class; SrvConfig and Network only keep it behind a shared pointer, so their layout does not
// depend on it. The index values here are NOT Kea's: the hook must never call the inline getters
// of Network/Subnet that look up global parameters (getValid, getMatchClientId, ...). It reads
// nothing from the configuration but the subnet list and each subnet's prefix and ID.
#ifndef RPI_NETBOOT_COMPAT_CFG_GLOBALS_H
#define RPI_NETBOOT_COMPAT_CFG_GLOBALS_H

#include <cc/data.h>

#include <boost/shared_ptr.hpp>
#include <string>

namespace isc {
namespace dhcp {

class CfgGlobals {
  public:
    enum Index : int {
        AUTHORITATIVE,
        BOOT_FILE_NAME,
        CACHE_MAX_AGE,
        CACHE_THRESHOLD,
        CALCULATE_TEE_TIMES,
        DDNS_GENERATED_PREFIX,
        DDNS_OVERRIDE_CLIENT_UPDATE,
        DDNS_OVERRIDE_NO_UPDATE,
        DDNS_QUALIFYING_SUFFIX,
        DDNS_REPLACE_CLIENT_NAME,
        DDNS_SEND_UPDATES,
        DDNS_UPDATE_ON_RENEW,
        DDNS_USE_CONFLICT_RESOLUTION,
        HOSTNAME_CHAR_REPLACEMENT,
        HOSTNAME_CHAR_SET,
        MATCH_CLIENT_ID,
        MAX_PREFERRED_LIFETIME,
        MAX_VALID_LIFETIME,
        MIN_PREFERRED_LIFETIME,
        MIN_VALID_LIFETIME,
        NEXT_SERVER,
        PREFERRED_LIFETIME,
        REBIND_TIMER,
        RENEW_TIMER,
        RESERVATIONS_GLOBAL,
        RESERVATIONS_IN_SUBNET,
        RESERVATIONS_OUT_OF_POOL,
        SERVER_HOSTNAME,
        STORE_EXTENDED_INFO,
        T1_PERCENT,
        T2_PERCENT,
        VALID_LIFETIME
    };
    isc::data::ConstElementPtr get(const std::string& name) const;
    isc::data::ConstElementPtr get(int index) const;
    void set(const std::string& name, isc::data::ConstElementPtr value);
    void clear();
};

typedef boost::shared_ptr<CfgGlobals> CfgGlobalsPtr;
typedef boost::shared_ptr<const CfgGlobals> ConstCfgGlobalsPtr;

}  // namespace dhcp
}  // namespace isc

#endif  // RPI_NETBOOT_COMPAT_CFG_GLOBALS_H
