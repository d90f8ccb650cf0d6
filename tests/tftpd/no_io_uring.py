#!/usr/bin/python3
"""Runs a program with io_uring_setup(2) refused (EPERM), as systemd's SystemCallFilter= or a
container's seccomp profile refuses it: `no_io_uring.py PROGRAM [ARGS...]`.

A seccomp filter (seccomp(2), BPF): on this architecture, io_uring_setup (425 on x86-64 and
arm64) fails with EPERM, every other call is allowed. Installed with no_new_privs, then exec.
"""

import ctypes
import os
import platform
import struct
import sys

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
NR_IO_URING_SETUP = 425
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
RET_ALLOW, RET_EPERM = 0x7FFF0000, 0x00050000 | 1


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def main():
    arch = AUDIT_ARCH.get(platform.machine())
    if arch is None or len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} PROGRAM [ARGS...] (x86_64 or aarch64)", file=sys.stderr)
        return 2
    prog = b"".join([
        insn(BPF_LD_W_ABS, 0, 0, 4),                  # seccomp_data.arch
        insn(BPF_JEQ_K, 0, 3, arch),                  # another ABI: allow
        insn(BPF_LD_W_ABS, 0, 0, 0),                  # seccomp_data.nr
        insn(BPF_JEQ_K, 0, 1, NR_IO_URING_SETUP),
        insn(BPF_RET_K, 0, 0, RET_EPERM),
        insn(BPF_RET_K, 0, 0, RET_ALLOW),
    ])
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = struct.pack("HxxxxxxP", len(prog) // 8, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fbuf, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
