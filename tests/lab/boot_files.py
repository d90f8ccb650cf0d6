"""Small generated boot trees and NFS base roots for the lab and the probe tests.

Nothing here is real firmware: files have the names the Pi asks for and deterministic
pseudo-random contents, so transfers can be checked byte for byte. Which names each model asks
for comes from core's boot plans, exported by `rpinetboot-facts --json` into <build>/pi-facts.json
at build time (core/CMakeLists.txt), so this module keeps no list of its own.
"""

import functools
import hashlib
import json
import os

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def facts_path(build=None):
    build = build or os.environ.get("RPI_NETBOOT_BUILD") or os.path.join(SOURCE_DIR, "build")
    return os.path.join(build, "pi-facts.json")


@functools.lru_cache(maxsize=None)
def facts(build=None):
    """core's per-model table: {"models": {"rom3": {...}, ...}, ...}."""
    path = facts_path(build)
    if not os.path.exists(path):
        raise SystemExit(f"boot_files: {path} is missing; build the rpinetboot_pi_facts target")
    with open(path) as f:
        return json.load(f)


def plan(model):
    """The model's TFTP requests in order: dicts with kind, file, required, purpose, tftp."""
    return facts()["models"][model]["boot_plan"]


def kernel(model):
    """The kernel name the firmware tries first (the trees' config.txt names it too)."""
    return facts()["models"][model]["default_kernels"][0]


def initramfs(model):
    """The initramfs name of the model's plan: its first kernel's (auto_initramfs, core's
    autoInitramfs): initramfs8, or initramfs_2712 for a Pi 5."""
    return next(s["file"] for s in plan(model) if s["purpose"] == "initramfs")


def tree_files(model):
    """Names a model's boot tree needs under its prefix: the required files of its plan (config,
    cmdline, kernel and initramfs are written by boot_files with their own contents), plus the
    overlay map that the EEPROM bootloaders look for."""
    names = []
    for step in plan(model):
        if step["kind"] != "file" or step["purpose"] in ("config", "cmdline", "kernel", "initramfs"):
            continue
        if (step["required"] or step["purpose"] == "overlays") and step["file"] not in names:
            names.append(step["file"])
    return names


def root_files(model="rom3"):
    """Names the boot ROM fetches from the TFTP root before any prefix."""
    return [s["file"] for s in plan(model) if s["kind"] == "root-file" and s["required"]]


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
    for name in tree_files(model):
        small = name.startswith("overlays/")  # the overlay map is a small file
        files[name] = blob(name, 2048 if small else 48 * 1024 + len(name))
    files[kernel(model)] = blob(kernel(model), kernel_size)
    config = "[all]\narm_64bit=1\nkernel=" + kernel(model) + "\n"
    if initramfs:
        name = globals()["initramfs"](model)  # the module function, not the argument
        files[name] = blob(name, 64 * 1024)
        # Both of config.txt's forms: the Pi 5 tree as Raspberry Pi OS writes it (the firmware
        # loads the initramfs named after the kernel), the others naming it.
        config += ("auto_initramfs=1\n" if model == "pi5" else
                   f"initramfs {name} followkernel\n")
    files["config.txt"] = config.encode()
    files["cmdline.txt"] = cmdline.encode()
    for rel, data in files.items():
        write(os.path.join(boot_dir, rel), data)
    return files


def rom_files(tftp_root):
    """bootcode.bin at the TFTP root: the Pi 3 boot ROM fetches it before any prefix."""
    out = {}
    for name in root_files():
        out[name] = blob(name, 52 * 1024)
        write(os.path.join(tftp_root, name), out[name])
    return out


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
