// A Pi's export record as the backends keep it, for the tests that map a client's address to
// its Pi (knfsd's NFSv4 clients, nfs-ganesha's clients).
#pragma once

#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs::test {

inline PiExport record(const char* serial, const char* path, const char* client) {
    PiExport r;
    r.serial = *Serial::parse(serial);
    r.path = path;
    r.client = *parseClient(client);
    return r;
}

}  // namespace rpinetboot::nfs::test
