// A Kea lease manager for the hook's unit tests: Kea's logging initialised once, one subnet
// (192.0.2.0/24, pool .10-.250, id 1) committed, statistics empty, an in-memory memfile lease
// manager; all of it undone when the object goes. No kea-dhcp4 runs.
#pragma once

#include <asiolink/io_address.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <dhcpsrv/pool.h>
#include <dhcpsrv/subnet.h>
#include <log/logger_support.h>
#include <stats/stats_mgr.h>

#include <cstdlib>

namespace rpinetboot::kea::test {

class MemfileLab {
  public:
    explicit MemfileLab(const char* loggerName) {
        static const bool logging = [loggerName] {
            setenv("KEA_LOCKFILE_DIR", "none", 1);  // no logger lock file (Kea ARM, "Logging")
            isc::log::initLogger(loggerName, isc::log::WARN);
            return true;
        }();
        (void)logging;
        using isc::asiolink::IOAddress;
        auto subnet = isc::dhcp::Subnet4::create(IOAddress("192.0.2.0"), 24, 300, 500, 600, 1);
        subnet->addPool(isc::dhcp::Pool4Ptr(
            new isc::dhcp::Pool4(IOAddress("192.0.2.10"), IOAddress("192.0.2.250"))));
        isc::dhcp::CfgMgr::instance().clear();
        isc::dhcp::CfgMgr::instance().getStagingCfg()->getCfgSubnets4()->add(subnet);
        isc::dhcp::CfgMgr::instance().commit();
        isc::stats::StatsMgr::instance().removeAll();
        isc::dhcp::LeaseMgrFactory::create("type=memfile universe=4 persist=false lfc-interval=0");
    }
    ~MemfileLab() {
        isc::dhcp::LeaseMgrFactory::destroy();
        isc::dhcp::CfgMgr::instance().clear();
        isc::stats::StatsMgr::instance().removeAll();
    }
    MemfileLab(const MemfileLab&) = delete;
    MemfileLab& operator=(const MemfileLab&) = delete;
};

}  // namespace rpinetboot::kea::test
