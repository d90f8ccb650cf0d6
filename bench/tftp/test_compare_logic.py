#!/usr/bin/python3
"""The TFTP benchmark's judgement and workload, without servers (ctest bench_tftp_logic).

Checked: a comparison over min-max ranges says "inconclusive" whenever the ranges overlap and
"lower"/"higher" only when they do not, goals included; verdicts() applies that per case; the
boot sets' plans (bench/tftp/boot_sets.py) fetch exactly the files the tree holds, at their
sizes, probe the missing ones, keep the firmware's order (docs/protocol/tftp.md), and scale.
"""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import boot_sets  # noqa: E402
import compare  # noqa: E402


def rng(lo, hi, med=None):
    return {"min": lo, "max": hi, "median": med if med is not None else (lo + hi) / 2}


def row(server, cpu, mbs=(100, 110), p99=(1, 2), workload="1mb", pis=128):
    return {"server": server, "workload": workload, "pis": pis,
            "cpu_ms_per_mb_range": rng(*cpu), "cpu_ms_per_mb": rng(*cpu)["median"],
            "mb_per_s_range": rng(*mbs), "mb_per_s": rng(*mbs)["median"],
            "rrq_p99_ms_range": rng(*p99)}


class Compare(unittest.TestCase):
    def test_overlap_is_inconclusive(self):
        self.assertEqual(compare.compare(rng(1.0, 2.0), rng(1.9, 3.0)), "inconclusive")
        self.assertEqual(compare.compare(rng(1.9, 3.0), rng(1.0, 2.0)), "inconclusive")
        self.assertEqual(compare.compare(rng(1.0, 3.0), rng(1.5, 2.0)), "inconclusive")

    def test_disjoint(self):
        self.assertEqual(compare.compare(rng(1.0, 1.5), rng(1.6, 3.0)), "lower")
        self.assertEqual(compare.compare(rng(1.6, 3.0), rng(1.0, 1.5)), "higher")
        self.assertIsNone(compare.compare(None, rng(1.0, 1.5)))

    def test_one_run_is_inconclusive(self):
        one = {"min": 1.0, "max": 1.0, "median": 1.0, "n": 1}
        self.assertEqual(compare.compare(one, rng(5.0, 6.0)), "inconclusive")
        self.assertEqual(compare.spread([1.0, None, 3.0, 2.0]),
                         {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3})

    def test_factor(self):
        # Within 0.5x only if the worst run is below half the best of the other.
        self.assertEqual(compare.compare(rng(0.9, 0.99), rng(2.0, 3.0), 0.5), "lower")
        self.assertEqual(compare.compare(rng(0.9, 1.1), rng(2.0, 3.0), 0.5), "inconclusive")
        self.assertEqual(compare.compare(rng(1.6, 1.7), rng(2.0, 3.0), 0.5), "higher")

    def test_verdicts(self):
        rows = [row("rpi-tftpd", (1.0, 1.2)), row("dnsmasq", (2.5, 3.0)),
                row("floor", (0.9, 1.1)),
                row("rpi-tftpd", (1.0, 2.0), workload="bootset"),
                row("dnsmasq", (1.5, 1.9), workload="bootset"),
                row("floor", (0.5, 0.6), workload="bootset")]
        v = {x["workload"]: x for x in compare.verdicts(rows)}
        self.assertEqual(v["1mb"]["cpu_vs_dnsmasq"], "lower")
        self.assertEqual(v["1mb"]["goal_cpu_x_dnsmasq"], "met")  # 1.2 < 0.5 * 2.5
        self.assertEqual(v["1mb"]["goal_cpu_x_floor"], "inconclusive")  # 1.2 vs 1.3 * 0.9
        self.assertEqual(v["1mb"]["goal_p99"], "met")
        self.assertEqual(v["bootset"]["cpu_vs_dnsmasq"], "inconclusive")
        self.assertEqual(v["bootset"]["goal_cpu_x_dnsmasq"], "not met")  # 1.0 > 0.5 * 1.9
        self.assertEqual(v["bootset"]["goal_cpu_x_floor"], "not met")  # 1.0 > 1.3 * 0.6

    def test_paired_ratios_cancel_the_machines_slow_spells(self):
        # Run 3 was slow for every server (a busy neighbour): the ranges overlap, the ratios
        # within each run do not move.
        def runs(server, values):
            r = row(server, (min(values), max(values)))
            r["per_run"] = [{"run": i, "cpu_ms_per_mb": v} for i, v in enumerate(values)]
            return r
        ours = runs("rpi-tftpd", [3.6, 3.0, 4.5, 2.9, 3.6])
        floor = runs("floor", [3.2, 3.0, 4.1, 3.1, 2.9])
        v = compare.verdicts([ours, floor])[0]
        self.assertEqual(v["goal_cpu_x_floor"], "inconclusive")  # 4.5 vs 1.3 * 2.9
        self.assertEqual(v["cpu_x_floor_paired"]["max"], round(3.6 / 2.9, 3))
        self.assertEqual(v["goal_cpu_x_floor_paired"], "met")
        # One run beyond the goal: inconclusive; every run beyond it: not met.
        floor["per_run"][1]["cpu_ms_per_mb"] = 2.0
        v = compare.verdicts([ours, floor])[0]
        self.assertEqual(v["goal_cpu_x_floor_paired"], "inconclusive")
        for r in floor["per_run"]:
            r["cpu_ms_per_mb"] = 1.0
        v = compare.verdicts([ours, floor])[0]
        self.assertEqual(v["goal_cpu_x_floor_paired"], "not met")
        # A run only one side took part in is left out, not paired with another run.
        del floor["per_run"][0]
        self.assertEqual(compare.paired_ratios(ours, floor)["n"], 4)
        self.assertIsNone(compare.paired_ratios(ours, {"per_run": []}))

    def test_markdown_says_inconclusive(self):
        rows = []
        for server, cpu in (("rpi-tftpd", (1.0, 2.0)), ("dnsmasq", (1.5, 2.5)),
                            ("floor", (0.5, 0.6))):
            r = row(server, cpu)
            r.update({"rrq_p99_ms_range": rng(1, 2), "server_resent_per_mb": 0, "failures": 0,
                      "loadgen_cpu_share_range": rng(0.1, 0.2), "loadavg": [[0.5, 0.7]]})
            rows.append(r)
        data = {"parameters": {"runs": 5, "workloads": {"1mb": "a 1 MB file"}},
                "machine": {"cpu_model": "Test CPU", "nproc": 2}, "rows": rows,
                "verdicts": compare.verdicts(rows), "cpu_source": "cgroup2"}
        md = compare.markdown(data)
        self.assertIn("against dnsmasq x0.75 (medians): **inconclusive**", md)
        self.assertIn("Test CPU, 2 cores", md)
        self.assertIn("0.50 to 0.70", md)  # the load averages
        self.assertIn("1 GbE", md)


class BootSets(unittest.TestCase):
    def test_plans_match_tree(self):
        tmp = tempfile.mkdtemp(prefix="rpinb-bootsets-")
        try:
            sizes = boot_sets.sizes(initramfs_mb=12, scale=0.01)
            data = os.urandom(max(sizes.values()))
            for model in ("pi4", "pi5"):
                boot_sets.write_tree(tmp, model, model, sizes, data)
                lines = [line.split() for line in
                         boot_sets.plan(model, model, sizes).splitlines()]
                fetched = {}
                for words in lines:
                    path = os.path.join(tmp, words[1])
                    if words[0] == "fetch":
                        self.assertEqual(os.path.getsize(path), int(words[2]), words)
                        fetched[words[1]] = int(words[2])
                    else:
                        self.assertEqual(words[0], "probe")
                # Everything probed and never fetched is missing from the tree, and vice versa.
                probed_only = {w[1] for w in lines if w[0] == "probe"} - set(fetched)
                for name in probed_only:
                    self.assertFalse(os.path.exists(os.path.join(tmp, name)), name)
                self.assertEqual(sum(fetched[n] for n in fetched) > 0, True)
            pi4 = [w[1] for w in (line.split() for line in
                                  boot_sets.plan("s", "pi4", sizes).splitlines())]
            self.assertEqual(pi4[0], "s/start4.elf")  # the prefix probe comes first
            self.assertLess(pi4.index("s/start4.elf", 1), pi4.index("s/kernel8.img"))
            self.assertLess(pi4.index("s/kernel8.img"), pi4.index("s/initramfs8"))
            self.assertIn("s/recover4.elf", pi4)
            pi5 = boot_sets.plan("s", "pi5", sizes)
            self.assertNotIn("start", pi5)  # the Pi 5 fetches no start*.elf
            # ...and the initramfs named after its kernel (auto_initramfs).
            pi5 = [w[1] for w in (line.split() for line in pi5.splitlines())]
            self.assertLess(pi5.index("s/kernel_2712.img"), pi5.index("s/initramfs_2712"))
            self.assertNotIn("s/initramfs8", pi5)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_real_sizes(self):
        s = boot_sets.sizes()
        self.assertEqual(s["initramfs8"], boot_sets.DEFAULT_INITRAMFS_MB * boot_sets.MB)
        self.assertTrue(2.1e6 <= s["start4.elf"] <= 2.3e6)
        self.assertTrue(8e6 <= s["kernel8.img"] <= 9.5e6)
        self.assertEqual(boot_sets.sizes(30)["initramfs_2712"], 30 * boot_sets.MB)
        self.assertEqual(boot_sets.boot_bytes("pi4", s),
                         sum(s[n] for n in ("config.txt", "start4.elf", "fixup4.dat",
                                            "bcm2711-rpi-4-b.dtb", "overlays/overlay_map.dtb",
                                            "cmdline.txt", "kernel8.img", "initramfs8"))
                         + s["config.txt"])  # config.txt is read twice


if __name__ == "__main__":
    unittest.main()
