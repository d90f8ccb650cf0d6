#!/usr/bin/python3
"""HA failover storm at full size: 64 emulated Pis (ROM3, bootcode.bin, Pi 4, Pi 5 in turn, each
with its loader's DHCP retry pattern) and 16 plain clients boot over 20 s against a Kea HA pair
(libdhcp_ha + lease_cmds + this hook, tests/hook/halab.py) while a server is hit at 10 s, and
fetch their boot files from two rpi-tftpd nodes (tftp-groups) of which one stops at 10 s.

Variants, in both HA modes: the primary SIGKILLed, its link cut, only its kea-ctrl-agent
SIGKILLed (HA through the agents on Kea 2.2, on its own listener on 2.6 and 3.0:
hastorm.ha_via_agent), the two servers cut from each other only; in load-balancing also the
secondary SIGKILLed. Each is checked as the test (tests/hook/hastorm.py:
the capture of both servers' replies, the Pis' boots, both lease stores after the dead server
returns) and measured: the takeover (event to partner-down), the longest wait of a client that
first asked after the event, and the time from the first DISCOVER to the last Pi's last file.
Runs on the host's Kea (2.2); RPI_NETBOOT_KEA selects another as in the tests.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402
from benchlib import netlab  # noqa: E402

sys.path.insert(0, os.path.join(benchlib.SOURCE_DIR, "tests", "hook"))
VARIANTS = [("hot-standby", "kill-primary"), ("hot-standby", "cut-primary"),
            ("hot-standby", "kill-agent"), ("hot-standby", "cut-between"),
            ("load-balancing", "kill-primary"), ("load-balancing", "kill-secondary"),
            ("load-balancing", "cut-primary"), ("load-balancing", "kill-agent"),
            ("load-balancing", "cut-between")]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="build directory (default: $RPI_NETBOOT_BUILD or ./build)")
    ap.add_argument("--out", required=True, help="directory for failover_storm.json")
    ap.add_argument("--pis", type=int, default=64)
    ap.add_argument("--plain", type=int, default=16)
    ap.add_argument("--spread-s", type=float, default=20.0)
    ap.add_argument("--smoke", action="store_true", help="8 Pis, 2 clients, one variant")
    ap.add_argument("--variants", help="comma-separated MODE/EVENT subset, e.g. "
                    "load-balancing/cut-between (default: all)")
    args = ap.parse_args()
    if args.smoke:
        args.pis, args.plain, args.spread_s = 8, 2, 6.0
    # halab's pool has 100 addresses; the Pis and the plain clients must fit in it.
    if not 4 <= args.pis <= 80 or not 0 <= args.plain <= 20 or not 2 <= args.spread_s <= 120:
        ap.error("--pis 4..80, --plain 0..20, --spread-s 2..120")
    return args


def main():
    args = parse_args()
    netlab.require_root()
    os.environ["RPI_NETBOOT_BUILD"] = benchlib.build_dir(args.build)
    import halab
    import hastorm
    halab.require()
    missing = hastorm.missing_tools()
    if missing:
        netlab.skip_or_fail("not built or not installed: " + ", ".join(missing))
    results, failed = [], []
    import keatest
    variants = VARIANTS[:1] if args.smoke and not args.variants else VARIANTS
    if args.variants:
        wanted = {tuple(v.split("/", 1)) for v in args.variants.split(",")}
        unknown = wanted - set(VARIANTS)
        if unknown:
            benchlib.fail(f"unknown variants {sorted(unknown)}; known: "
                          + ", ".join(f"{m}/{e}" for m, e in VARIANTS))
        variants = [v for v in variants if v in wanted]
    for mode, event in variants:
        began = time.monotonic()
        storm = hastorm.FailoverStorm(mode, event, args.pis, args.plain, args.spread_s)
        try:
            r = storm.run()
            found = hastorm.problems(r)
            m = hastorm.measures(r)
        finally:
            storm.close()
        m.update({"mode": mode, "event": event, "problems": found,
                  "variant_s": time.monotonic() - began})
        results.append(m)
        wait = m["longest_wait_s"]
        print(f"failover_storm: {mode}, {event}: takeover {m['takeover_s']:.1f} s, longest wait "
              f"of a client that asked after the event "
              f"{'-' if wait is None else f'{wait:.1f} s'}, last file {m['last_file_s']:.1f} s, "
              f"{m['booted_first_time']}/{m['pis']} booted at once, {m['failed_on_b']} failed on "
              f"node B and {m['failed_on_b_then_booted_from_a']} of them booted from A after the "
              f"drain; {len(found)} problems; the variant took {m['variant_s']:.0f} s",
              flush=True)
        for p in found[:20]:
            print(f"failover_storm:   {p}", file=sys.stderr)
        if found:
            failed.append(f"{mode}/{event}")
    data = {"parameters": {"pis": args.pis, "plain": args.plain, "spread_s": args.spread_s,
                           "smoke": args.smoke, "kea": keatest.INSTALL.version},
            "variants": results}
    path = benchlib.write_result(args.out, "failover_storm", data)
    print(f"failover_storm: wrote {path}")
    if failed:
        benchlib.fail("problems in " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
