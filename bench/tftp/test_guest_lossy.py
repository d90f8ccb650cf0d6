#!/usr/bin/python3
"""compare.py's lossy link under a real netem qdisc, in the tiny kernel's QEMU guest.

bench/tftp/guest_run.py boots the guest (KVM, else TCG) and runs `compare.py --lossy-only` there
with 8 Pis on 1% boot-set sizes, rpi-tftpd and dnsmasq, one run each. Checked from the JSON it
copies out:
- the link is "netem" (not the nftables or in-generator fallbacks);
- every Pi's boot completed, for rpi-tftpd and for dnsmasq, with no failed request;
- each server has its re-sent datagrams per MB and the Pis' timeouts per MB;
- the netem qdiscs really dropped (tc -s qdisc: dropped > 0 over the runs, about 0.5% of what
  they passed) and delayed (ping over the link: min RTT >= 2 ms for 1 ms each way);
- the Markdown report has the table and the verdict line.
Skips (77) outside CI when qemu, busybox or the cached kernel is missing; under CI=true those
fail. Some 60-120 s under TCG on a loaded 2-core machine.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))
import netlab  # noqa: E402

PIS = 8


def main():
    build = os.environ.get("RPI_NETBOOT_BUILD", os.path.join(SOURCE, "build"))
    for target in ("tftpd/rpi-tftpd", "bench/tftp/rpi-tftp-loadgen"):
        if not os.path.exists(os.path.join(build, target)):
            netlab.skip_or_fail(f"{target} not built in {build}")
    if not os.path.exists("/usr/sbin/dnsmasq"):
        netlab.skip_or_fail("dnsmasq not installed (package dnsmasq-base)")
    out = tempfile.mkdtemp(prefix="rpinb-guest-lossy-")
    netlab._cleanups.append(lambda: netlab.run(["rm", "-rf", out], check=False))
    argv = [sys.executable, os.path.join(HERE, "guest_run.py"), "--build", build, "--out", out,
            "--timeout", "240", "--lossy-runs", "1", "--lossy-pis", str(PIS),
            "--lossy-servers", "rpi-tftpd,dnsmasq", "--lossy-scale", "0.01"]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=300, check=False)
    print(r.stdout[-6000:])
    if r.returncode == 77:
        return 77  # guest_run said why (and fails instead under CI)
    assert r.returncode == 0, f"guest_run.py exited {r.returncode}"
    with open(os.path.join(out, "tftp_compare.json")) as f:
        data = json.load(f)
    lossy = data["lossy"]
    assert lossy["link"] == "netem", f"the link was {lossy['link']!r}, not netem"
    rows = {row["server"]: row for row in lossy["rows"]}
    assert set(rows) == {"rpi-tftpd", "dnsmasq"}, sorted(rows)
    for name, row in rows.items():
        assert row["boots_ok"] == PIS, f"{name}: {row['boots_ok']}/{PIS} boots completed"
        assert row["failures"] == 0, f"{name}: {row['failures']} failed requests"
        for key in ("server_resent_per_mb", "client_timeouts_per_mb"):
            assert row[key] is not None and row[key] >= 0, f"{name}: no {key}"
        assert row["cpu_source"] == "cgroup2", f"{name}: server CPU from {row['cpu_source']}"
    dropped = sum(d for row in rows.values() for d in row["kernel_drops_per_run"])
    passed = sum(s for row in rows.values() for s in row["qdisc_sent_per_run"])
    # 0.5% each way: thousands of datagrams give dozens of drops; none means no loss at all,
    # several percent means something else drops.
    assert passed > 1000, f"the netem qdiscs passed only {passed} datagrams"
    assert 0 < dropped < 0.03 * passed, f"netem dropped {dropped} of {passed + dropped}"
    rtt = lossy["rtt_ms"]
    assert rtt and rtt["min"] >= 2.0, f"round trip over the link {rtt}: netem's 1 ms each way " \
        "did not hold (no high-resolution timers?)"
    assert lossy["verdict"] in ("faster than dnsmasq", "slower than dnsmasq",
                                "inconclusive against dnsmasq"), lossy["verdict"]
    with open(os.path.join(out, "tftp_compare.md")) as f:
        md = f.read()
    for text in ("### Loss and delay", "| rpi-tftpd |", "| dnsmasq |", "re-sent/MB",
                 "rpi-tftpd's time to the last boot", "netem"):
        assert text in md, f"{text!r} missing from the report:\n{md}"
    print(f"OK: netem link, {PIS}/{PIS} boots for rpi-tftpd and dnsmasq, netem dropped "
          f"{dropped} of {passed + dropped}, RTT min {rtt['min']:.2f} ms, "
          f"verdict {lossy['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
