"""Small generated boot trees and NFS base roots for the lab and the probe tests.

Nothing here is real firmware: files have the names the Pi asks for (docs/protocol/tftp.md) and
deterministic pseudo-random contents, so transfers can be checked byte for byte.
"""

import hashlib
import os

# Per model: the firmware files and device tree its boot stage fetches (see probe/checks boot_plan).
FIRMWARE = {
    "rom3": ["start.elf", "fixup.dat", "bcm2710-rpi-3-b.dtb"],
    "bootcode": ["start.elf", "fixup.dat", "bcm2710-rpi-3-b-plus.dtb"],
    "pi4": ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb"],
    "pi5": ["bcm2712-rpi-5-b.dtb"],
}
KERNEL = {"rom3": "kernel8.img", "bootcode": "kernel8.img", "pi4": "kernel8.img",
          "pi5": "kernel_2712.img"}

# Raspberry Pi OS's stock forms (as shipped in its images' boot partition and /etc/fstab).
STOCK_CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
                 "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n")
STOCK_FSTAB = ("proc            /proc           proc    defaults          0       0\n"
               "PARTUUID=4e639091-01  /boot/firmware  vfat    defaults          0       2\n"
               "PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1\n")


def blob(name, size):
    """Deterministic bytes for a file name (so a test can recompute what it should receive)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{name}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def boot_files(boot_dir, model, cmdline, kernel_size=256 * 1024, initramfs=True):
    """Writes the files one model fetches into boot_dir; returns {relative name: bytes}."""
    files = {}
    for name in FIRMWARE[model]:
        files[name] = blob(name, 48 * 1024 + len(name))
    files["overlays/overlay_map.dtb"] = blob("overlay_map", 2048)
    files[KERNEL[model]] = blob(KERNEL[model], kernel_size)
    config = "[all]\narm_64bit=1\nkernel=" + KERNEL[model] + "\n"
    if initramfs:
        files["initramfs8"] = blob("initramfs8", 64 * 1024)
        config += "initramfs initramfs8 followkernel\n"
    files["config.txt"] = config.encode()
    files["cmdline.txt"] = cmdline.encode()
    for rel, data in files.items():
        write(os.path.join(boot_dir, rel), data)
    return files


def rom_files(tftp_root):
    """bootcode.bin at the TFTP root: the Pi 3 boot ROM fetches it before any prefix."""
    data = blob("bootcode.bin", 52 * 1024)
    write(os.path.join(tftp_root, "bootcode.bin"), data)
    return {"bootcode.bin": data}


def base_root(root_dir, model="pi4"):
    """A tiny Raspberry Pi OS shaped root file system to provision per-Pi roots from."""
    boot_files(os.path.join(root_dir, "boot"), model, STOCK_CMDLINE)
    write(os.path.join(root_dir, "etc/fstab"), STOCK_FSTAB)
    write(os.path.join(root_dir, "etc/hostname"), "raspberrypi\n")
    write(os.path.join(root_dir, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n")
    write(os.path.join(root_dir, "etc/ssh/ssh_host_ed25519_key"), "not a real key\n", 0o600)
    write(os.path.join(root_dir, "etc/ssh/ssh_host_ed25519_key.pub"), "ssh-ed25519 AAAA lab\n")
    write(os.path.join(root_dir, "usr/bin/hello"), "#!/bin/sh\necho hello\n", 0o755)
    return root_dir
