"""The Pi 4 and Pi 5 network boots at real sizes: the TFTP benchmark's realistic workload.

The request order is core's boot plan for each model (core/src/boot_plan.cpp), read from the
build's pi-facts.json (tests/lab/boot_files.py), so the benchmark walks exactly what the probe and
the lab walk (docs/protocol/tftp.md, "File order"): each file the firmware wants is first probed
(RRQ with tsize, OACK, ERROR 0 "Early terminate") and then fetched from a new port; files it looks
for that a netboot tree does not have (recovery images, pieeprom.sig, armstub) are probed and
answered "file not found". The Pi 5 fetches no start*.elf.

Sizes are those of a Raspberry Pi OS (64-bit) boot partition: start4.elf 2.2 MB, the kernels
8.6 and 9.2 MB, device trees of 50-80 kB; the initramfs is configurable (10-30 MB in
practice; 16 MB by default to keep a run short).
"""

import functools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "lab"))
import boot_files  # noqa: E402

KB = 1000
MB = 1000 * 1000


@functools.lru_cache(maxsize=None)
def sequence(model):
    """(kind, file) steps of core's plan for `model`: "probe" (looked for; missing from the tree
    unless SIZES has it), "probe+fetch", "fetch" (a re-read without a probe)."""
    steps = []
    for step in boot_files.plan(model):
        name = step["file"]
        if step["kind"] == "prefix-probe":
            steps.append(("probe", name))
        elif step["kind"] == "reread":
            steps.append(("fetch", name))
        elif name in SIZES or name in INITRAMFS:
            steps.append(("probe+fetch", name))
        else:
            steps.append(("probe", name))
    return steps


# Files a netboot tree holds (everything else in a plan is probed and missing).
SIZES = {
    "start4.elf": 2_230 * KB,
    "fixup4.dat": 5_400,
    "config.txt": 1_200,
    "cmdline.txt": 160,
    "bcm2711-rpi-4-b.dtb": 56 * KB,
    "bcm2712-rpi-5-b.dtb": 78 * KB,
    "overlays/overlay_map.dtb": 5_500,
    "kernel8.img": 8_600 * KB,
    "kernel_2712.img": 9_200 * KB,
}
INITRAMFS = ("initramfs8", "initramfs_2712")  # Pi 4 and Pi 5 names in Raspberry Pi OS
DEFAULT_INITRAMFS_MB = 16


def sizes(initramfs_mb=DEFAULT_INITRAMFS_MB, scale=1.0):
    """{file: bytes} of a tree; scale < 1 shrinks every file (smoke runs), at least 1 byte."""
    out = dict(SIZES)
    for name in INITRAMFS:
        out[name] = int(initramfs_mb * MB)
    return {k: max(1, int(v * scale)) for k, v in out.items()}


def model_of(index):
    """Serial number `index` of the benchmark boots as this model: Pi 4 and Pi 5 alternate."""
    return ("pi4", "pi5")[index % 2]


def write_tree(tree, serial, model, file_sizes, data):
    """The files `model` fetches, under tree/serial/, cut from `data` (random bytes)."""
    for name in sorted({name for _, name in sequence(model)}):
        if name not in file_sizes:
            continue  # probed only: missing on purpose
        path = os.path.join(tree, serial, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data[:file_sizes[name]])


def plan(serial, model, file_sizes):
    """The load generator's --plan text for one Pi of `model` booting under serial/."""
    lines = []
    for kind, name in sequence(model):
        path = f"{serial}/{name}"
        if kind in ("probe", "probe+fetch"):
            lines.append(f"probe {path}")
        if kind in ("fetch", "probe+fetch"):
            lines.append(f"fetch {path} {file_sizes[name]}")
    return "\n".join(lines) + "\n"


def boot_bytes(model, file_sizes):
    """File data one boot of `model` receives."""
    return sum(file_sizes[name] for kind, name in sequence(model) if kind != "probe")
