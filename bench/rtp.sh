#!/usr/bin/env bash
# RTP analysis (issue 15 item 4), besip against tshark in one run.
#   offline: bench/rtp_gen.py writes a capture of STREAMS G.711 streams of PACKETS packets (default
#            240 x 5000: about 1.15 M packets, 270 MB) with known loss, jitter, duplicates and
#            reordering; `bin/besip-vqm analyze --json` (the shipped command and its options) and
#            Debian's `tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams` read it, and the same
#            packets as pcapng (editcap's copy), 3 runs each with the file in the page cache: median
#            wall time, packets per second, peak RSS (GNU time's maximum resident set). besip's
#            streams are checked against what the generator knows (packets and losses per SSRC).
#   live:    the shipped box (bin/besip, default options and modules, monitoring enabled over the
#            Modules API and configured over NETCONF to capture on lo) while bench/MediaLoad.java
#            sends N calls of 50 pps each way straight between its own sockets on loopback (2N
#            streams); after each step of SECONDS, the box's capture drops (besip.monitoring.capture.dropped,
#            read with zabbix_get) and the streams in its quality history (its SQLite file). A step passes
#            with zero drops and every stream in the history with every packet sent. Steps stop at the first
#            failure.
#
#   bench/rtp.sh [offline|live|both] [STREAMS PACKETS | SECONDS CALLS...]
#     BESIP_BENCH_OPTS adds JVM options to the box's (a profiler, say)
#     bench/rtp.sh offline 240 5000        bench/rtp.sh live 10 100 200 250 300 400
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-both}
shift || true
dist=runtime/target/besip
work=$(mktemp -d /tmp/besip-rtp.XXXXXX)
. bench/procs.sh
cleanup() {
  stop_recorded
  rm -rf "$work"
}
trap cleanup EXIT
[ -x "$dist/bin/besip-vqm" ] || ./mvnw -B -q package -DskipTests

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# runs "$@" 3 times; prints "median-seconds max-rss-kib"
measure() {
  local ts=() rss=0 line
  for _ in 1 2 3; do
    /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" >"$work/out.txt" 2>/dev/null
    line=$(tail -1 "$work/time.txt")
    ts+=("${line% *}")
    [ "${line#* }" -gt "$rss" ] && rss=${line#* }
  done
  echo "$(printf '%s\n' "${ts[@]}" | median) $rss"
}

offline() {
  local streams=${1:-240} packets=${2:-5000}
  command -v tshark >/dev/null || { echo "needs tshark"; exit 1; }
  local pcap="$work/streams.pcap"
  python3 bench/rtp_gen.py "$pcap" "$streams" "$packets"
  editcap -F pcapng "$pcap" "$work/streams.pcapng"
  local n
  n=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['packets'])" "$pcap.json")
  cat "$pcap" "$work/streams.pcapng" >/dev/null # both in the page cache before the first run
  echo "== offline: $n packets, $streams streams, $(du -m "$pcap" | cut -f1) MB pcap"
  "$dist/bin/besip-vqm" analyze "$pcap" --json >"$work/besip.json"
  python3 - "$pcap.json" "$work/besip.json" <<'EOF'
import json, sys
known = json.load(open(sys.argv[1]))["known"]
found = {s["ssrc"]: s for s in json.load(open(sys.argv[2]))}
# lost as RFC 3550 counts it (expected less received): a duplicate makes up for a loss
bad = [k for k, v in known.items() if k not in found or found[k]["packets"] != v["packets"]
       or found[k]["lost"] != v["lost"] - v["duplicates"] or found[k]["duplicates"] != v["duplicates"]
       or found[k]["reordered"] != v["swapped"]]
print("  besip's streams against the generator's: %d of %d agree (packets, lost, duplicates, reordered)%s"
      % (len(known) - len(bad), len(known), "" if not bad else "; first that does not: %s %s %s" % (bad[0], known[bad[0]], found.get(bad[0]))))
sys.exit(1 if bad else 0)
EOF
  printf '  %-8s %-7s %9s %12s %10s\n' tool format "wall s" "packets/s" "peak MiB"
  local tool format r secs kib
  declare -A res
  for format in pcap pcapng; do
    for tool in besip tshark; do
      if [ $tool = besip ]; then
        r=$(measure "$dist/bin/besip-vqm" analyze "$work/streams.$format" --json)
      else
        r=$(measure tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams -r "$work/streams.$format")
        # the anchor did the same work: every stream found (without the heuristic, with no SIP in
        # the capture, tshark would find none)
        [ "$(grep -c ' 0x2[0-9A-F]\{7\} ' "$work/out.txt")" -eq "$streams" ] || { echo "  tshark did not find the $streams streams"; exit 1; }
      fi
      secs=${r% *} kib=${r#* }
      res[$tool-$format]="$secs $kib"
      printf '  %-8s %-7s %9s %12s %10s\n' $tool $format "$secs" "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" $((kib / 1024))
    done
    awk -v b="${res[besip-$format]}" -v t="${res[tshark-$format]}" -v f=$format 'BEGIN {
      split(b, x, " "); split(t, y, " ");
      printf "  %s: besip %.1fx tshark'"'"'s packets/s, %.2f of its peak memory\n", f, y[1] / x[1], x[2] / y[2] }'
  done
}

live() {
  local step_s=${1:-10}
  shift || true
  local steps=("$@")
  [ ${#steps[@]} -gt 0 ] || steps=(100 200 250 300 400 500)
  command -v zabbix_get >/dev/null || { echo "needs zabbix_get"; exit 1; }
  /usr/bin/python3 -c 'import ncclient' 2>/dev/null || { echo "needs python3-ncclient"; exit 1; }
  local http=15520 ncport=15521 sip=15522 zbx=15523 data="$work/data"
  BESIP_DATA=$data BESIP_OPTS="-Dbesip.http.host=127.0.0.1 -Dbesip.http.port=$http -Dbesip.netconf.host=127.0.0.1 \
-Dbesip.netconf.port=$ncport -Dbesip.sip.host=127.0.0.1 -Dbesip.sip.port=$sip ${BESIP_BENCH_OPTS:-}" setsid "$dist/bin/besip" </dev/null >"$work/besip.out" 2>&1 &
  record_pid besip $!
  for _ in $(seq 200); do grep -q "besip: ready" "$work/besip.out" && break; sleep 0.1; done
  local pw
  pw=$(cat "$data/admin-password.txt")
  curl -sf -u "admin:$pw" -X POST "http://127.0.0.1:$http/system/console/besip-modules.json?action=enable&module=monitoring" >/dev/null
  /usr/bin/python3 runtime/src/test/python/netconf_interop.py 127.0.0.1 $ncport "$pw" configure_monitoring true lo $zbx 2 >/dev/null
  for _ in $(seq 100); do grep -q "monitoring is running on \[lo\]" "$data/logs/besip.log" && break; sleep 0.1; done
  local jvm
  jvm=$(java_pid_of "$(cat "$work/besip.pid")")
  echo "== live: capture on lo, $step_s s a step (streams = 2 x calls, 50 pps each)"
  local n best=0 r dropped0 dropped1 ticks0 ticks1
  # the box's quality history, read from its SQLite file: streams (and their packets) after row id $1
  history() {
    /usr/bin/python3 -c "
import sqlite3, sys
c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True, timeout=10)
print(*c.execute('select count(*), coalesce(sum(packets), 0), coalesce(max(id), 0) from stream where id > ?', (int(sys.argv[2]),)).fetchone())
" "$data/db/monitoring.db" "$1"
  }
  local last=0
  for n in "${steps[@]}"; do
    read -r _ _ last < <(history 0)
    dropped0=$(zabbix_get -s 127.0.0.1 -p $zbx -k besip.monitoring.capture.dropped)
    ticks0=$(cpu_ticks "$jvm")
    r=$(java -Xss512k bench/MediaLoad.java direct - - "$n" "$step_s" 0)
    ticks1=$(cpu_ticks "$jvm")
    local sent want=$((2 * n)) got=0 pkts=0
    sent=$(python3 -c "import json, sys; print(json.loads(sys.argv[1])['sent_total'])" "$r")
    # the streams close 2 s after their last packet (idle-timeout 2) and go to the history
    for _ in $(seq 100); do
      read -r got pkts _ < <(history "$last")
      [ "$got" -ge "$want" ] && break
      sleep 0.2
    done
    dropped1=$(zabbix_get -s 127.0.0.1 -p $zbx -k besip.monitoring.capture.dropped)
    local verdict=pass
    [ $((dropped1 - dropped0)) -eq 0 ] && [ "$got" -eq "$want" ] && [ "$pkts" -eq "$sent" ] || verdict=FAIL
    echo "  $n calls ($want streams, $sent packets sent): $verdict; capture drops $((dropped1 - dropped0)), streams in the history $got" \
      "with $pkts packets, box CPU $(awk -v t=$((ticks1 - ticks0)) -v s="$sent" 'BEGIN { printf "%.1f", t * 10 / (s / 1000) }') ms per 1000 packets," \
      "PSS $(( $(pss_kib "$jvm") / 1024 )) MiB"
    [ $verdict = pass ] || break
    best=$want
  done
  stop_pid besip
  echo "  most concurrent 50 pps streams with zero capture drops: $best (target >= 500)"
}

case $mode in
  offline) offline "$@" ;;
  live) live "$@" ;;
  both) offline; live ;;
  *) echo "usage: bench/rtp.sh [offline|live|both] [STREAMS PACKETS | SECONDS CALLS...]"; exit 2 ;;
esac
