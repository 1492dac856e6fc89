#!/usr/bin/env bash
# The box as shipped against Kamailio (issue 15): REGISTER with digest authentication, or call
# set-ups with digest and CDRs.
#  - besip: bin/besip with its shipped options and default modules (pbx and security on, CDRs
#    on), USERS users (u0.., each its own password) committed over NETCONF (bench/netconf_client.py).
#  - Kamailio (Debian 5.6), 2 children, the same users and passwords. register: registrar +
#    usrloc in memory + auth (bench/kamailio-registrar.cfg.in). calls: the same, and INVITE
#    authenticated, record-routed, looked up and relayed by tm, accounted by acc
#    (bench/kamailio-calls.cfg.in).
# register: the sipp scenario bundles/pbx/src/test/resources/sipp/register-auth.xml (REGISTER,
# 401, REGISTER with credentials, 200). calls: u0 registers from the port of a sipp callee
# (uas-record-route.xml: 180, 200, 200 to the BYE); the callers u1.. call u0 with
# uac-proxy-auth.xml (INVITE, 407, INVITE with credentials, 200, ACK, 200 ms, BYE, 200). Each
# comes from SIPPS sipp processes at once (127.0.0.1, each its own port), in rate steps of STEP
# seconds. Knee: the highest offered rate with no failed registration or call and at least 80 %
# of it achieved. CPU per 1000 registrations or calls (every process of the server), PSS after
# the steps; for calls, the CDRs each wrote (besip's cdr table; Kamailio's acc lines: one for the
# 200 of the INVITE, one for the BYE). The classes alone (no OSGi, security, persistence):
# bench/sip-harness.sh, a micro-benchmark.
#
#   [BESIP_BENCH_OPTS=...] [BENCH_BESIP_ONLY=1 | BENCH_ANCHOR_ONLY=1] [KEEP=1] bench/sip.sh [register|calls] [users] [seconds-per-step] [sipps] [rate ...]
#   (default register, 1000 users, 8 s, 4 sipp processes; 2000 4000 6000 8000 10000 12000 reg/s,
#   or 100 200 400 600 800 1000 calls/s)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=register
case ${1:-} in register|calls) mode=$1; shift ;; esac
users=${1:-1000}
step_s=${2:-8}
sipps=${3:-4}
shift $(($# > 3 ? 3 : $#))
if [ "$mode" = register ]; then rates=${*:-2000 4000 6000 8000 10000 12000}; else rates=${*:-100 200 400 600 800 1000}; fi
unit=$([ "$mode" = register ] && echo reg || echo calls)
dist=runtime/target/besip
work=$(mktemp -d /tmp/besip-sipbox.XXXXXX)
trap 'stop_recorded; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT # only what this script started, by pid (bench/procs.sh); KEEP=1 keeps $work
command -v sipp >/dev/null || { echo "needs sipp (Debian sip-tester)"; exit 1; }
[ -x /usr/sbin/kamailio ] || { echo "needs kamailio (Debian kamailio)"; exit 1; }
/usr/bin/python3 -c 'import paramiko' 2>/dev/null || { echo "needs python3-paramiko (Debian)"; exit 1; }
[ -x "$dist/bin/besip" ] || ./mvnw -B -q package -DskipTests
. bench/procs.sh
. bench/sipp-steps.sh
hz=$(getconf CLK_TCK)

/usr/bin/python3 -c "
import sys
print('SEQUENTIAL')
for i in range(int(sys.argv[1])): print('u%d;[authentication username=u%d password=Str0ng-pass-%d-x]' % (i, i, i))" "$users" >"$work/users.csv"
# the callers: every user but u0, the callee
{ echo SEQUENTIAL; tail -n +3 "$work/users.csv"; } >"$work/callers.csv"
head -2 "$work/users.csv" >"$work/callee.csv"
sipps_dir=bundles/pbx/src/test/resources/sipp
callee_port=15390

# callee PORT: u0 registers from the callee's port, then the callee (a sipp UAS) answers there
callee() {
  sipp -sf "$sipps_dir"/register-auth.xml -inf "$work/callee.csv" "127.0.0.1:$1" -i 127.0.0.1 -p $callee_port -m 1 \
    -nostdin -timeout 10s >"$work/register-callee.out" 2>&1 || { echo "the callee did not register"; cat "$work/register-callee.out"; exit 1; }
  sipp -sf "$sipps_dir"/uas-record-route.xml -i 127.0.0.1 -p $callee_port -nostdin >"$work/callee.out" 2>&1 &
  record_pid callee $!
}

# step RATE PORT: SIPPS sipp processes share the rate; prints "ok failed achieved"
step() {
  local rate=$1 port=$2 each=$(($1 / sipps)) i t0 t1 ok=0 failed=0 pids=()
  t0=$(date +%s%N)
  local scenario=(-sf "$sipps_dir"/register-auth.xml -inf "$work/users.csv")
  # a 180 may arrive after the 200 (a proxy with several workers can reorder them): not an error,
  # so a message the scenario does not expect is discarded rather than the call aborted
  [ "$mode" = calls ] && scenario=(-sf "$sipps_dir"/uac-proxy-auth.xml -inf "$work/callers.csv" -s u0 -default_behaviors "all,-abortunexp")
  for i in $(seq "$sipps"); do
    sipp "${scenario[@]}" "127.0.0.1:$port" \
      -i 127.0.0.1 -p 0 -m $((each * step_s)) -r "$each" -l $((each * 2)) -nostdin -timeout $((step_s * 4))s \
      -recv_timeout 5000 -trace_err -error_file "$work/sipp-$i.err" >"$work/sipp-$i.out" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  t1=$(date +%s%N)
  for i in $(seq "$sipps"); do
    ok=$((ok + $(sipp_count "$work/sipp-$i.out" "Successful call")))
    failed=$((failed + $(sipp_count "$work/sipp-$i.out" "Failed call")))
  done
  echo "$ok $failed $((ok * 1000000000 / (t1 - t0)))"
}

# measure NAME PID PORT: the rate steps against a running server; its knee, CPU per 1000, PSS
measure() {
  local name=$1 pid=$2 port=$3 rate knee=0 total=0 t0 t1 ok failed achieved
  echo "== $name $mode ($users users, $sipps sipp processes, $step_s s steps)"
  t0=$(cpu_ticks "$pid")
  for rate in $rates; do
    read -r ok failed achieved < <(step "$rate" "$port")
    total=$((total + ok))
    printf "  offered %6d $unit/s: %7d ok, %6d failed, %6d $unit/s achieved\n" "$rate" "$ok" "$failed" "$achieved"
    if [ "$failed" = 0 ] && [ "$achieved" -ge $((rate * 8 / 10)) ]; then knee=$rate; fi
  done
  t1=$(cpu_ticks "$pid")
  echo "  knee $knee $unit/s; CPU $(( (t1 - t0) * 1000 * 1000 / hz / (total > 0 ? total : 1) )) ms per 1000 $([ "$mode" = register ] && echo registrations || echo calls);" \
    "PSS $(( $(pss_kib "$pid") / 1024 )) MiB"
  echo "$total" >"$work/$name.total"
  echo "$knee" >"$work/$name.knee"
}

# besip, as bin/besip starts on a box; the users over NETCONF (BENCH_ANCHOR_ONLY=1: Kamailio alone)
if [ -z "${BENCH_ANCHOR_ONLY:-}" ]; then
bport=15380; hport=18380; nport=18381
# BESIP_BENCH_OPTS: JVM options added to the shipped ones, to measure a trade (e.g. -Xmn16m)
BESIP_DATA="$work/besip" BESIP_OPTS="-Dbesip.http.port=$hport -Dbesip.http.host=127.0.0.1 -Dbesip.netconf.port=$nport \
 -Dbesip.netconf.host=127.0.0.1 -Dbesip.sip.host=127.0.0.1 -Dbesip.sip.port=$bport ${BESIP_BENCH_OPTS:-}" \
  setsid "$dist/bin/besip" </dev/null >"$work/besip.out" 2>&1 &
record_pid besip $!
for _ in $(seq 600); do grep -q "besip: ready" "$work/besip.out" 2>/dev/null && break; sleep 0.05; done
grep -q "besip: ready" "$work/besip.out" || { cat "$work/besip.out"; exit 1; }
jpid=$(java_pid_of "$(cat "$work/besip.pid")")
echo "besip: $(grep -o 'ready in [0-9]* ms' "$work/besip.out" || true); users over NETCONF:" \
  "$(/usr/bin/python3 bench/netconf_client.py 127.0.0.1 $nport admin "password:$(cat "$work/besip/admin-password.txt")" users "$users")"
for _ in $(seq 200); do grep -q "SIP proxy as 127.0.0.1:$bport" "$work/besip/logs/besip.log" 2>/dev/null && break; sleep 0.05; done
[ "$mode" = calls ] && callee $bport
measure besip "$jpid" "$bport"
if [ "$mode" = calls ]; then
  stop_pid callee
  # the CDRs the box wrote (its SQLite file; written when each call ends)
  for _ in $(seq 50); do
    cdrs=$(/usr/bin/python3 -c "import sqlite3, sys; print(sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True, timeout=10).execute('select count(*) from cdr').fetchone()[0])" "$work/besip/db/pbx.db")
    [ "$cdrs" -ge "$(cat "$work/besip.total")" ] && break; sleep 0.2
  done
  echo "  CDRs written: $cdrs for $(cat "$work/besip.total") calls completed"
fi
stop_pid besip
fi

[ -n "${BENCH_BESIP_ONLY:-}" ] && exit 0
# Kamailio: the same users and passwords (u<i>'s is Str0ng-pass-<i>-x), 2 children
kport=15381
mkdir -p "$work/acc"
sed -e "s/@PORT@/$kport/; s/@CHILDREN@/2/; s/@PASSWORD@/Str0ng-pass-\$(tU{s.substr,1,0})-x/" \
  -e "s/@CALLER_PASSWORD@/Str0ng-pass-\$(fU{s.substr,1,0})-x/; s|@ACCDIR@|$work/acc|" \
  "bench/kamailio-$([ "$mode" = register ] && echo registrar || echo calls).cfg.in" >"$work/kamailio.cfg"
/usr/sbin/kamailio -f "$work/kamailio.cfg" -P "$work/kamailio.pid" -m 512 -M 8 -DD -E >"$work/kamailio.out" 2>&1 &
kpid=$!; record_pid kamailio-started "$kpid" # not kamailio.pid: Kamailio refuses a pid file that names a live process
sleep 2
if grep -qi "error" "$work/kamailio.out"; then echo "kamailio did not start:"; head -20 "$work/kamailio.out"; exit 1; fi
[ "$mode" = calls ] && callee $kport
measure kamailio "$kpid" "$kport"
if [ "$mode" = calls ]; then
  stop_pid callee
  echo "  acc lines written: $(cat "$work"/acc/* 2>/dev/null | wc -l) for $(cat "$work/kamailio.total") calls completed (two a call)"
fi
stop_pid kamailio-started

awk -v b="$(cat "$work/besip.knee")" -v k="$(cat "$work/kamailio.knee")" \
  'BEGIN { printf "knee ratio besip/Kamailio: %s (target >= 1.0)\n", (k > 0 ? sprintf("%.2f", b / k) : "n/a") }'
