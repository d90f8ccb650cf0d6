#!/usr/bin/env bash
# `make bench`: every benchmark, then the report (bench/results/<date>.md, PNG plots,
# and the README's bench section). Needs root (network namespaces) and deps/bench.txt installed.
#   bench/run.sh [--build DIR] [--smoke] [--out DIR] [--no-readme] [--only LIST]
# --smoke runs every benchmark with tiny sizes (what the ctest smoke tests do) into --out.
# --only takes a comma-separated subset of: micro,hook,events,tftp,tftp-netem,storm,failover.
# Only a full default run (no --smoke, --only or --out) writes the published results:
# bench/results/<date>.md, its plots, bench/results/raw/<date>/ and README.md's bench section.
# With --smoke, --only or --out the raw JSON, report.md and plots go into --out (default: a new
# directory under /tmp) and nothing under bench/results/ or README.md is touched.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build="$src/build"
smoke=0
out=""
readme=1
only="micro,hook,events,tftp,tftp-netem,storm,failover"
partial=0
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build=$(cd "$2" && pwd) || exit 2; shift 2 ;;
        --smoke) smoke=1; shift ;;
        --out) out="$2"; partial=1; shift 2 ;;
        --no-readme) readme=0; shift ;;
        --only) only="$2"; partial=1; shift 2 ;;
        *) echo "usage: $0 [--build DIR] [--smoke] [--out DIR] [--no-readme] [--only LIST]" >&2; exit 2 ;;
    esac
done
for name in ${only//,/ }; do
    case "$name" in micro|hook|events|tftp|tftp-netem|storm|failover) ;; *) echo "bench: --only: unknown benchmark '$name' (micro,hook,events,tftp,tftp-netem,storm,failover)" >&2; exit 2 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
py=/usr/bin/python3
date=$(date -u +%Y-%m-%d)
results="$here/results"
[ $smoke -eq 1 ] && partial=1
if [ -z "$out" ]; then
    if [ $partial -eq 1 ]; then
        kind=partial
        [ $smoke -eq 1 ] && kind=smoke
        out=$(mktemp -d /tmp/rpinb-bench-$kind.XXXXXX)
    else
        out="$results/raw/$date"
    fi
fi
mkdir -p "$out"
export RPI_NETBOOT_BUILD="$build" RPI_NETBOOT_SOURCE="$src" PYTHONDONTWRITEBYTECODE=1
size=()
[ $smoke -eq 1 ] && size=(--smoke)

start=$(date +%s)
failed=()
skipped=()
step() {  # step NAME COMMAND...: runs one benchmark, timing it; a failure does not stop the others
    local name=$1; shift
    case ",$only," in *",$name,"*) ;; *) return 0 ;; esac
    local t0=$(date +%s)
    echo "== bench: $name"
    "$@"
    local rc=$?
    echo "== bench: $name took $(( $(date +%s) - t0 )) s (exit $rc)"
    [ $rc -eq 0 ] || failed+=("$name")
}
step micro "$py" "$here/micro/micro.py" --build "$build" --out "$out" "${size[@]}"
step hook "$py" "$here/dhcp/hook_overhead.py" --build "$build" --out "$out" "${size[@]}"
# Instructions per boot event on each events path (renderer, JSON-lines and journal sinks,
# rpi-tftpd's queue), under callgrind; build target rpinetboot-bench-events. Some 15 s.
step events "$py" "$here/micro/events.py" --build "$build" --out "$out" "${size[@]}"
# The TFTP comparison (bench/tftp/compare.py: server CPU per MB from a cgroup per server, 5
# interleaved runs, a floor server, the Pi boot sets, a lossy link) writes its JSON and Markdown
# into its own directory, which report.py picks up. Its build targets: rpi-tftpd,
# rpi-tftp-loadgen, rpi-tftp-floor.
if [ -x "$here/tftp/compare.py" ]; then
    step tftp "$here/tftp/compare.py" --build "$build" --out "$out/tftp" "${size[@]}"
else
    case ",$only," in *",tftp,"*)
        echo "== bench: tftp skipped: bench/tftp/compare.py is not there (rpi-tftpd's branch)"
        skipped+=(tftp) ;;
    esac
fi
# compare.py's lossy link under a real `tc netem` qdisc (1 ms each way, 0.5% loss), in the tiny
# kernel's QEMU guest (bench/tftp/guest_run.py: KVM, else TCG with a warning that its timings
# mean nothing; builds tests/lib/tiny_kernel.sh's kernel if it is not cached): 128 Pis boot
# from rpi-tftpd, dnsmasq and the floor, 5 interleaved runs (no new run after 40 min: under TCG
# a full-size run takes far longer; the report says how many ran). Into $out/tftp-netem.
netem_size=(--lossy-runs 5 --lossy-pis 128 --lossy-servers rpi-tftpd,dnsmasq,floor --max-minutes 40 --timeout 7200)
[ $smoke -eq 1 ] && netem_size=(--lossy-runs 1 --lossy-pis 4 --lossy-scale 0.002 --lossy-servers rpi-tftpd,dnsmasq)
step tftp-netem "$py" "$here/tftp/guest_run.py" --build "$build" --out "$out/tftp-netem" --build-kernel "${netem_size[@]}"
step storm "$py" "$here/storm/boot_storm.py" --build "$build" --out "$out" "${size[@]}"
# The HA failover storm (bench/failover): 64 Pis and 16 plain clients across a Kea HA failover,
# with two rpi-tftpd nodes; build targets dhcp_exchange, dhcp_storm, rpinetboot-bench-storm,
# rpi-tftpd and the hook.
step failover "$py" "$here/failover/failover_storm.py" --build "$build" --out "$out" "${size[@]}"
elapsed=$(( $(date +%s) - start ))

report=(--raw "$out" --elapsed "$elapsed")
[ ${#skipped[@]} -eq 0 ] || report+=(--not-run "${skipped[*]}")
if [ $partial -eq 1 ]; then
    report+=(--md "$out/report.md" --plots-prefix "$out/plot")
else
    report+=(--md "$results/$date.md" --plots-prefix "$results/$date")
    [ $readme -eq 1 ] && report+=(--readme "$src/README.md")
fi
"$py" "$here/report.py" "${report[@]}" || failed+=(report)
echo "bench: took $((elapsed / 60)) min $((elapsed % 60)) s in all; raw results in $out"
[ $partial -eq 0 ] || echo "bench: report in $out/report.md (bench/results/ and README.md untouched)"
[ ${#skipped[@]} -eq 0 ] || echo "bench: not run: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "bench: FAILED: ${failed[*]}" >&2
    exit 1
fi
