#!/usr/bin/env bash
# The media relay against rtpengine (issue 12 item 7), one after the other in one run, with the same
# load (bench/MediaLoad.java): concurrent G.711 calls, 20 ms packets (50 a second each way, 172
# bytes), every packet through the relay and back out to the other phone, on loopback.
#   besip: the shipped distribution (bin/besip with its options and default modules), configured
#          over NETCONF (two users, media/relay always, ports 30000-33999); each call is set up over
#          SIP through the box (user1 calls user0 with digest; the load tool is both phones).
#   rtpengine: Debian's rtpengine, userspace forwarding only (--table=-1: no kernel module), its
#          default threads, each call set up with its ng protocol (offer, answer).
#   direct: the load tool sending straight to itself, no relay: the generator's own jitter.
# Steps of concurrent calls; a step passes when the load tool could send what it asked for (99 % of
# the packets: beyond that, the machine, not the relay, is the limit), with < 0.1 % loss and < 5 ms
# jitter added over the direct run of the same size (RFC 3550 interarrival jitter, mean over the
# streams). Prints each
# step, each relay's most calls passing, CPU per 1000 packets and memory (PSS) per call at the
# largest step both passed, and the ratio besip / rtpengine.
#
#   bench/media.sh [seconds-per-step] [calls ...]      (default 10 s; 100 200 400 500 600 700 800)
set -euo pipefail
cd "$(dirname "$0")/.."
step_s=${1:-10}
shift || true
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(100 200 400 500 600 700 800)
dist=runtime/target/besip
work=$(mktemp -d /tmp/besip-media.XXXXXX)
. bench/procs.sh
cleanup() {
  stop_recorded # besip (its process group) and rtpengine: by the pids recorded, nothing else
  rm -rf "$work"
}
trap cleanup EXIT
command -v rtpengine >/dev/null || { echo "needs rtpengine (Debian rtpengine-daemon)"; exit 1; }
/usr/bin/python3 -c 'import ncclient' 2>/dev/null || { echo "needs python3-ncclient"; exit 1; }
[ -x "$dist/bin/besip" ] || ./mvnw -B -q package -DskipTests
nc=runtime/src/test/python/netconf_interop.py
load() { java -Xss512k bench/MediaLoad.java "$@"; }

passes() { # result-json direct-json: the load was offered (99 % of the packets asked for were sent), loss < 0.1 %, jitter added < 5 ms
  python3 -c "
import json, sys
r, d = json.loads(sys.argv[1]), json.loads(sys.argv[2])
offered = r['sent'] >= 0.99 * r['calls'] * 2 * 50 * r['seconds']
sys.exit(0 if offered and r['loss_pct'] < 0.1 and r['jitter_ms_mean'] - d['jitter_ms_mean'] < 5 else 1)" "$1" "$2"
}
field() { python3 -c "import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "== direct (the generator alone)"
declare -A direct
for n in "${steps[@]}"; do
  direct[$n]=$(load direct - - "$n" "$step_s" 0)
  echo "  $n calls: ${direct[$n]}"
done

http=15510 ncport=15511 sip=15512 data="$work/data"
BESIP_DATA=$data BESIP_OPTS="-Dbesip.http.host=127.0.0.1 -Dbesip.http.port=$http -Dbesip.netconf.host=127.0.0.1 \
-Dbesip.netconf.port=$ncport -Dbesip.sip.host=127.0.0.1 -Dbesip.sip.port=$sip" setsid "$dist/bin/besip" </dev/null >"$work/besip.out" 2>&1 &
record_pid besip $!
for _ in $(seq 200); do grep -q "besip: ready" "$work/besip.out" && break; sleep 0.1; done
besip_pid=$(java_pid_of "$(cat "$work/besip.pid")")
pw=$(cat "$data/admin-password.txt")
/usr/bin/python3 "$nc" 127.0.0.1 $ncport "$pw" configure_pbx_users 2 Sup3r-secret-pw >/dev/null
/usr/bin/python3 "$nc" 127.0.0.1 $ncport "$pw" configure_pbx_mode proxy 30000 33999 always >/dev/null
for _ in $(seq 100); do grep -q "SIP proxy as 127.0.0.1:$sip" "$data/logs/besip.log" && break; sleep 0.1; done

rtpengine --interface=127.0.0.1 --listen-ng=127.0.0.1:22229 --port-min=40000 --port-max=59999 --delete-delay=0 --table=-1 --no-fallback \
  --foreground --log-stderr --log-level=4 >"$work/rtpengine.out" 2>&1 &
record_pid rtpengine $!
rtpe_pid=$!
for _ in $(seq 100); do grep -q "Startup complete" "$work/rtpengine.out" && break; sleep 0.1; done

declare -A result
best_besip=0 best_rtpe=0
for relay in besip rtpengine; do
  echo "== $relay"
  for n in "${steps[@]}"; do
    if [ $relay = besip ]; then
      r=$(load besip 127.0.0.1:$sip Sup3r-secret-pw "$n" "$step_s" "$besip_pid" 2>"$work/load.err") || { echo "  $n calls: set-up failed: $(grep -m1 -E "Exception|Error" "$work/load.err")"; break; }
    else
      r=$(load rtpengine 127.0.0.1:22229 - "$n" "$step_s" "$rtpe_pid" 2>"$work/load.err") || { echo "  $n calls: set-up failed: $(grep -m1 -E "Exception|Error" "$work/load.err")"; break; }
    fi
    result[$relay-$n]=$r
    if passes "$r" "${direct[$n]}"; then verdict=pass; else verdict=FAIL; fi
    echo "  $n calls: $verdict $r"
    [ $verdict = pass ] || break
    if [ $relay = besip ]; then best_besip=$n; else best_rtpe=$n; fi
    sleep 2 # the calls of the step before are over on the relay
  done
done
stop_pid rtpengine
stop_pid besip

echo "== result"
echo "  most calls with < 0.1 % loss and < 5 ms added jitter: besip $best_besip, rtpengine $best_rtpe"
common=$(( best_besip < best_rtpe ? best_besip : best_rtpe ))
if [ "$common" -gt 0 ]; then
  b=${result[besip-$common]} e=${result[rtpengine-$common]}
  echo "  at $common calls: CPU per 1000 packets besip $(field "$b" cpu_ms_per_1000) ms, rtpengine $(field "$e" cpu_ms_per_1000) ms;" \
    "PSS per call besip $(field "$b" pss_kib_per_call) KiB, rtpengine $(field "$e" pss_kib_per_call) KiB;" \
    "jitter besip $(field "$b" jitter_ms_mean) ms, rtpengine $(field "$e" jitter_ms_mean) ms, direct $(field "${direct[$common]}" jitter_ms_mean) ms"
fi
[ "$best_rtpe" -gt 0 ] && awk -v b="$best_besip" -v e="$best_rtpe" 'BEGIN { printf "  ratio besip / rtpengine (calls): %.2f\n", b / e }'
