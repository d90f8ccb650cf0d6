// Test tool: prints what checkExport (the probe's API in rpinetboot_mount_client) answers, so the
// integration tests can drive it against the real rpc.mountd and nfs-ganesha.
// Usage: nfs_export_check SERVER PATH CLIENT  -> "<name>\t<detail>", exit 0 (2 on bad usage).
#include <iostream>

#include "rpinetboot/nfs/mount_client.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: nfs_export_check SERVER PATH CLIENT\n";
        return 2;
    }
    auto r = rpinetboot::nfs::checkExport(argv[1], argv[2], argv[3], std::chrono::seconds(2));
    std::cout << rpinetboot::nfs::exportCheckName(r.status) << "\t" << r.detail << "\n";
    return 0;
}
