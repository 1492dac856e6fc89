#!/usr/bin/env bash
# Proxy routing (issue 4): sipp's built-in uac calls bob through the proxy, sipp's built-in uas
# answers (INVITE, 180, 200, ACK, BYE, 200: six messages each way per call). besip's proxy
# (bundles/pbx, one UDP thread, JVM with bin/besip's small-box options) against the anchor,
# Kamailio (Debian package) doing the same routing statelessly with one worker process.
# Rate steps find each one's knee: the highest call rate with no failed call. Also CPU time per
# 1000 calls and memory (PSS, all processes) after.
#
#   bench/sip-proxy.sh [seconds-per-step]     (default 5; steps 250 … 8000 calls/s)
set -euo pipefail
cd "$(dirname "$0")/.."
step_s=${1:-5}
work=$(mktemp -d /tmp/besip-proxybench.XXXXXX)
cleanup() {
  pkill -f "StandaloneProxy 127.0.0.1 15280" 2>/dev/null || true
  [ -f "$work/kamailio.pid" ] && kill "$(cat "$work/kamailio.pid")" 2>/dev/null || true
  pkill -f "sipp -sn uas -i 127.0.0.1 -p 1528" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "needs sipp (Debian sip-tester)"; exit 1; }
command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ] || { echo "needs kamailio (Debian kamailio)"; exit 1; }
[ -f bundles/pbx/target/classes/org/besip/pbx/internal/StandaloneProxy.class ] || ./mvnw -B -q -pl bundles/core,bundles/pbx install -DskipTests

jvm="-Xms16m -Xmn4m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xss512k"
hz=$(getconf CLK_TCK)

. bench/sipp-steps.sh
pids_of() { # the server's processes: the pid and its children
  echo "$1"; pgrep -P "$1" || true
}
cpu_ticks() { local t=0; for p in $(pids_of "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }
pss_kib() { local t=0; for p in $(pids_of "$1"); do t=$((t + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0))); done; echo $t; }

call_step() { # rate outfile; uses run's $port
  sipp -sn uac -s bob "127.0.0.1:$port" -i 127.0.0.1 -p 0 -m $(($1 * step_s)) -r "$1" -l $(($1 * 2)) -d 0 -nostdin \
    -timeout $((step_s * 4))s -recv_timeout 5000 >"$2" 2>&1 || true
}

run() { # name proxy-port callee-port pid
  local name=$1 port=$2 callee=$3 pid=$4
  sipp -sn uas -i 127.0.0.1 -p "$callee" -nostdin >"$work/uas-$name.out" 2>&1 &
  local uas=$!
  sleep 1
  echo "== $name"
  local ticks0 ticks1
  ticks0=$(cpu_ticks "$pid")
  rate_steps "$name" calls/s call_step 250 500 1000 2000 4000 8000
  ticks1=$(cpu_ticks "$pid")
  echo "  knee: $KNEE calls/s; CPU $(( (ticks1 - ticks0) * 1000 * 1000 / hz / (TOTAL_OK > 0 ? TOTAL_OK : 1) )) ms per 1000 calls; PSS $(( $(pss_kib "$pid") / 1024 )) MiB"
  echo "$KNEE" >"$work/$name.knee"
  kill "$uas" 2>/dev/null || true; wait "$uas" 2>/dev/null || true
}

java $jvm -cp bundles/pbx/target/classes:bundles/core/target/classes org.besip.pbx.internal.StandaloneProxy 127.0.0.1 15280 15281 \
  >"$work/besip.out" 2>&1 &
besip=$!
sleep 2
run besip 15280 15281 "$besip"
kill "$besip"; wait "$besip" 2>/dev/null || true

sed -e "s/@PORT@/15282/; s/@CALLEE@/15283/; s/@CHILDREN@/1/" bench/kamailio-proxy.cfg.in >"$work/kamailio.cfg"
/usr/sbin/kamailio -f "$work/kamailio.cfg" -P "$work/kamailio.pid" -m 32 -M 8 -DD -E >"$work/kamailio.out" 2>&1 &
kam=$!
sleep 2
grep -qi error "$work/kamailio.out" && { echo "kamailio did not start:"; head -20 "$work/kamailio.out"; exit 1; }
run kamailio 15282 15283 "$kam"
kill "$kam"; wait "$kam" 2>/dev/null || true

awk -v b="$(cat "$work/besip.knee")" -v k="$(cat "$work/kamailio.knee")" \
  'BEGIN { printf "knee ratio besip/Kamailio: %s\n", (k > 0 ? sprintf("%.2f", b / k) : "n/a") }'
