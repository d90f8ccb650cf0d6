// cmdline.txt and fstab rewriting against Raspberry Pi OS's stock forms. Sources:
// - RPi-Distro/pi-gen stage1/00-boot-files/files/cmdline.txt: "console=serial0,115200 console=tty1
//   root=ROOTDEV rootfstype=ext4 fsck.repair=yes rootwait resize" (current), and the Bookworm
//   images'
//   "... rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot" (as published images ship
//   it); ROOTDEV becomes PARTUUID=<disk id>-02 when the image is exported.
// - RPi-Distro/pi-gen stage1/01-sys-tweaks/files/fstab: proc, BOOTDEV /boot[/firmware] vfat,
//   ROOTDEV / ext4 defaults,noatime; BOOTDEV/ROOTDEV become PARTUUID=<disk id>-01/-02.
// Target: docs/protocol/boot.md step 3 (root=/dev/nfs nfsroot=SERVER:/path,vers=N,tcp rw ip=dhcp).
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/boot_files.h"

using namespace rpinetboot::nfs;

namespace {
const NfsRootSpec kSpec{"192.0.2.1", "/srv/nfs/pi/bf9fed6f", 3};
}

TEST_CASE("cmdline: Bookworm firstboot form", "[nfs][boot]") {
    auto r = rewriteCmdline(
        "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
        "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n",
        kSpec);
    REQUIRE(r.error.empty());
    CHECK(r.text ==
          "console=serial0,115200 console=tty1 fsck.repair=yes quiet root=/dev/nfs "
          "nfsroot=192.0.2.1:/srv/nfs/pi/bf9fed6f,vers=3,tcp rw ip=dhcp rootwait\n");
}

TEST_CASE("cmdline: current pi-gen form with the bare resize token", "[nfs][boot]") {
    auto r = rewriteCmdline(
        "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
        "fsck.repair=yes rootwait resize\n",
        NfsRootSpec{"198.51.100.7", "/pi/bf9fed6f", 4});
    REQUIRE(r.error.empty());
    CHECK(r.text ==
          "console=serial0,115200 console=tty1 fsck.repair=yes root=/dev/nfs "
          "nfsroot=198.51.100.7:/pi/bf9fed6f,vers=4,tcp rw ip=dhcp rootwait\n");
}

TEST_CASE("cmdline: Bullseye init_resize, splash and extra tokens kept in order", "[nfs][boot]") {
    auto r = rewriteCmdline(
        "console=serial0,115200 console=tty1 root=PARTUUID=738a4d67-02 rootfstype=ext4 "
        "fsck.repair=yes rootwait quiet init=/usr/lib/raspi-config/init_resize.sh splash "
        "plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB",
        kSpec);
    REQUIRE(r.error.empty());
    CHECK(r.text.find("init=") == std::string::npos);
    CHECK(r.text.find("PARTUUID") == std::string::npos);
    CHECK(r.text.find("quiet splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB "
                      "root=/dev/nfs") != std::string::npos);
}

TEST_CASE("cmdline: rewriting twice is stable, and bad specs are refused", "[nfs][boot]") {
    auto once = rewriteCmdline("console=tty1 root=/dev/mmcblk0p2 rw rootwait", kSpec);
    auto twice = rewriteCmdline(once.text, kSpec);
    CHECK(once.text == twice.text);
    CHECK_FALSE(rewriteCmdline("", NfsRootSpec{"nfs.example", "/a", 3}).error.empty());
    CHECK_FALSE(rewriteCmdline("", NfsRootSpec{"192.0.2.1", "/a b", 3}).error.empty());
    CHECK_FALSE(rewriteCmdline("", NfsRootSpec{"192.0.2.1", "/a,b", 3}).error.empty());
    CHECK_FALSE(rewriteCmdline("", NfsRootSpec{"192.0.2.1", "/a", 2}).error.empty());
    CHECK_FALSE(rewriteCmdline("", NfsRootSpec{"192.0.2.1", "rel", 3}).error.empty());
}

TEST_CASE("fstab: SD-card lines disabled, everything else byte for byte", "[nfs][boot]") {
    const std::string stock =
        "proc            /proc           proc    defaults          0       0\n"
        "PARTUUID=4e639091-01  /boot/firmware  vfat    defaults          0       2\n"
        "PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1\n"
        "# a comment about /\n"
        "tmpfs /tmp tmpfs defaults,size=100m 0 0\n"
        "192.0.2.1:/srv/shared /mnt/shared nfs defaults 0 0";
    auto out = rewriteFstab(stock);
    CHECK(out ==
          "proc            /proc           proc    defaults          0       0\n"
          "# rpi-nfs-exports: root is on NFS, SD card line disabled: PARTUUID=4e639091-01  "
          "/boot/firmware  vfat    defaults          0       2\n"
          "# rpi-nfs-exports: root is on NFS, SD card line disabled: PARTUUID=4e639091-02  /"
          "               ext4    defaults,noatime  0       1\n"
          "# a comment about /\n"
          "tmpfs /tmp tmpfs defaults,size=100m 0 0\n"
          "192.0.2.1:/srv/shared /mnt/shared nfs defaults 0 0");
    CHECK(rewriteFstab(out) == out);
    // Older images mount the boot partition on /boot, some setups use /dev/mmcblk0p*.
    CHECK(rewriteFstab("/dev/mmcblk0p1 /boot vfat defaults 0 2\n").rfind("# rpi-nfs-exports", 0) ==
          0);
    CHECK(rewriteFstab("UUID=1234 /data ext4 defaults 0 2\n") ==
          "UUID=1234 /data ext4 defaults 0 2\n");
}
