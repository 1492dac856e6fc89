#!/usr/bin/env bash
# SIP outage while the proxy's code is replaced under load (issue 13 item 6), besip against
# Kamailio in one run, the same calls for both:
#   sipp (bench/../runtime/src/test/resources/sipp/uac-auth-hold.xml) on 127.0.0.1 places calls
#   at RATE calls/s for SECONDS, each challenged (407, digest), held HOLD seconds and hung up,
#   through the server to a provider (sipp, uas-record-route.xml, on 127.0.0.7) by a 9… route.
#   besip: the shipped distribution (bin/besip, its options and default modules), configured over
#          NETCONF (users, the trunk, the route, a tariff). At SECONDS/3 the pbx bundle is upgraded
#          to 1.0.1 over the Modules API (the same jar with a new Bundle-Version).
#   kamailio: Debian's Kamailio with bench/kamailio-swap.cfg.in (tm, auth, rr, the same route), one
#          worker. At SECONDS/3 it is restarted (SIGTERM, started again): its only way to load code.
# Reports, for each: calls completed and failed (sipp's counts: a failed call is a failed SIP
# transaction the caller saw), retransmissions the caller needed, the longest gap between two
# answers the server sent the caller (dumpcap on lo; at RATE calls/s answers are milliseconds
# apart, so the longest gap is the outage), how long the swap took, and for besip the CDRs that
# were closed as interrupted.
#
#   bench/swap.sh [rate] [hold-seconds] [seconds]     (default 100 calls/s, 5 s, 30 s; BENCH_KEEP=1 keeps the scratch directory)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-100}
hold=${2:-5}
seconds=${3:-30}
calls=$((rate * seconds))
dist=runtime/target/besip
work=$(mktemp -d /tmp/besip-swap.XXXXXX)
. bench/procs.sh
cleanup() {
  stop_recorded # besip (its process group), Kamailio, sipp and dumpcap: by the pids recorded, nothing else
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "needs sipp (Debian sip-tester)"; exit 1; }
{ command -v dumpcap >/dev/null && command -v tshark >/dev/null; } || { echo "needs dumpcap and tshark (Debian tshark)"; exit 1; }
[ -x /usr/sbin/kamailio ] || { echo "needs kamailio (Debian kamailio)"; exit 1; }
/usr/bin/python3 -c 'import ncclient' 2>/dev/null || { echo "needs python3-ncclient"; exit 1; }
[ -x "$dist/bin/besip" ] || ./mvnw -B -q package -DskipTests
nc=runtime/src/test/python/netconf_interop.py
password=Sup3r-secret-pw
provider=15598
printf 'SEQUENTIAL\nuser1;[authentication username=user1 password=%s]\n' "$password" >"$work/caller.csv"

# The pbx jar as 1.0.1: the next release, byte for byte the same code.
python3 - "$dist" "$work/besip-pbx-1.0.1.jar" <<'PY'
import glob, sys, zipfile
src = glob.glob(sys.argv[1] + "/bundles/besip-pbx-*.jar")[0]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "META-INF/MANIFEST.MF":
            data = b"\r\n".join(b"Bundle-Version: 1.0.1" if l.startswith(b"Bundle-Version:") else l for l in data.split(b"\r\n"))
        zout.writestr(item, data)
PY

# run SIDE PORT SWAP-FN: the load against a server on PORT, SWAP-FN at a third of it; prints the figures
run() {
  local side=$1 port=$2 swap=$3 caller=$(($2 + 1))
  sipp -sf bundles/pbx/src/test/resources/sipp/uas-record-route.xml -i 127.0.0.7 -p $provider -m "$calls" -nostdin \
    -timeout $((seconds + hold + 60))s >"$work/uas-$side.out" 2>&1 &
  record_pid "uas-$side" $!
  dumpcap -q -i lo -f "udp and src port $port and dst port $caller" -w "$work/$side.pcapng" >/dev/null 2>&1 &
  record_pid "dumpcap-$side" $!
  sleep 1
  sipp -sf runtime/src/test/resources/sipp/uac-auth-hold.xml -inf "$work/caller.csv" -s 9001 "127.0.0.1:$port" -i 127.0.0.1 \
    -p $caller -r "$rate" -m "$calls" -l $((rate * (hold + 10))) -d $((hold * 1000)) -nostdin -timeout $((seconds + hold + 60))s \
    -recv_timeout 20000 >"$work/uac-$side.out" 2>&1 &
  local uac=$!
  record_pid "uac-$side" $uac
  sleep $((seconds / 3))
  local t0 t1
  t0=$(date +%s%N)
  "$swap"
  t1=$(date +%s%N)
  wait $uac || true
  rm -f "$work/uac-$side.pid"
  sleep 1
  stop_pid "dumpcap-$side"
  stop_pid "uas-$side"
  local ok failed retrans gap
  ok=$(grep -E "Successful call" "$work/uac-$side.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  failed=$(grep -E "Failed call" "$work/uac-$side.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  retrans=$(awk '/Messages  Retrans/ {on=1; s=0; next} /Test Terminated/ {on=0} on && /---------->/ {s += $4} END {print s + 0}' \
    "$work/uac-$side.out") # the last screen's Retrans column of what the caller sent
  gap=$(tshark -r "$work/$side.pcapng" -T fields -e frame.time_epoch 2>/dev/null | python3 -c "
import sys
t = [float(l) for l in sys.stdin if l.strip()]
print('%.0f' % (max(b - a for a, b in zip(t, t[1:])) * 1000) if len(t) > 1 else 'n/a')")
  echo "  $side: ${ok:-0} of $calls calls completed, ${failed:-0} failed; $retrans retransmissions; longest gap in answers $gap ms;" \
    "the swap took $(( (t1 - t0) / 1000000 )) ms"
}

echo "# $calls calls at $rate calls/s, each held $hold s; the swap at $((seconds / 3)) s"

http=15590 ncport=15591 sip=15592 data="$work/data"
BESIP_DATA=$data BESIP_OPTS="-Dbesip.http.host=127.0.0.1 -Dbesip.http.port=$http -Dbesip.netconf.host=127.0.0.1 \
-Dbesip.netconf.port=$ncport -Dbesip.sip.host=127.0.0.1 -Dbesip.sip.port=$sip" setsid "$dist/bin/besip" </dev/null >"$work/besip.out" 2>&1 &
record_pid besip $!
for _ in $(seq 300); do grep -q "besip: ready" "$work/besip.out" && break; sleep 0.1; done
pw=$(cat "$data/admin-password.txt")
/usr/bin/python3 "$nc" 127.0.0.1 $ncport "$pw" configure_pbx_users 2 "$password" >/dev/null
/usr/bin/python3 "$nc" 127.0.0.1 $ncport "$pw" merge_pbx "<trunk><name>provider</name><host>127.0.0.7</host><port>$provider</port>\
<source-address>127.0.0.7</source-address></trunk><dial-plan><route><prefix>9</prefix><trunk>provider</trunk><strip>1</strip></route>\
</dial-plan><tariff><prefix></prefix><price-per-minute>0.6</price-per-minute></tariff>" >/dev/null
upgrade() {
  curl -s -o "$work/upgrade.json" -w "%{http_code}" -u "admin:$pw" -H "Content-Type: application/java-archive" \
    --data-binary "@$work/besip-pbx-1.0.1.jar" "http://127.0.0.1:$http/system/console/besip-modules.json?action=upgrade&module=pbx" \
    >"$work/upgrade.code"
}
run besip $sip upgrade
echo "    upgrade answered HTTP $(cat "$work/upgrade.code"): $(head -c 300 "$work/upgrade.json")"
curl -s -u "admin:$pw" "http://127.0.0.1:$http/system/console/besip-pbx.csv" >"$work/cdrs.csv"
echo "    CDRs: $(grep -c ',answered,' "$work/cdrs.csv" || true) answered, $(grep -c ',interrupted,' "$work/cdrs.csv" || true) interrupted;" \
  "$(grep -m1 -o 'took over [0-9]* calls' "$data/logs/besip.log" || echo 'no calls taken over')"
stop_pid besip

kport=15594
sed -e "s/@PORT@/$kport/; s/@CHILDREN@/1/; s/@PASSWORD@/$password/; s/@PROVIDER@/127.0.0.7:$provider/" bench/kamailio-swap.cfg.in \
  >"$work/kamailio.cfg"
start_kamailio() {
  rm -f "$work/kamailio-own.pid"
  /usr/sbin/kamailio -f "$work/kamailio.cfg" -P "$work/kamailio-own.pid" -m 256 -M 8 -DD -E >>"$work/kamailio.out" 2>&1 &
  record_pid kamailio $!
  for _ in $(seq 100); do grep -q ":$kport" <(ss -lun) && break; sleep 0.02; done
}
restart_kamailio() {
  stop_pid kamailio
  start_kamailio
}
start_kamailio
sleep 1
run kamailio $kport restart_kamailio
stop_pid kamailio
