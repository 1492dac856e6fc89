#!/usr/bin/env bash
# BESIP's experiment as a benchmark (issue 5): sipp from 127.0.0.2 floods REGISTER at a high rate
# while sipp from 127.0.0.3 registers a user at a low rate (2 registrations/s), against
#   1. besip, security on, blocks also in the kernel (nftables; needs root, else skipped)
#   2. besip, security on, blocks in the application only (firewall none)
#   3. besip, security disabled
#   4. Kamailio 5.6 (Debian) registrar + auth + pike + htable ban (bench/kamailio-pike.cfg.in)
# one after the other in one run. besip is the real distribution (bin/besip, pbx enabled, 20 users
# over NETCONF); the rule is BESIP's sid 1000001 as shipped (50 REGISTERs in 5 s, fwsam 10 min),
# pike is set to the same 50 in 5 s. Prints for each: time to block (from the flooder's 51st
# REGISTER to the last answer it got), the legitimate registrations' success rate, and the
# server's CPU (all its processes) before the flood, in its first second, for the rest of the
# flood (after the block), and after it.
#
#   bench/flood.sh [flood-rate] [flood-seconds]      (default 500 registrations/s for 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-500}
secs=${2:-10}
dist=runtime/target/besip
work=$(mktemp -d /tmp/besip-flood.XXXXXX)
cleanup() {
  stop_recorded # besip (its process group), the sipp runs, Kamailio: by the pids recorded, nothing else
  rm -rf "$work"
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "needs sipp (Debian sip-tester)"; exit 1; }
[ -x /usr/sbin/kamailio ] || { echo "needs kamailio (Debian kamailio)"; exit 1; }
/usr/bin/python3 -c 'import ncclient' 2>/dev/null || { echo "needs python3-ncclient"; exit 1; }
[ -x "$dist/bin/besip" ] || ./mvnw -B -q package -DskipTests
. bench/sipp-steps.sh
hz=$(getconf CLK_TCK)
scenario=bundles/pbx/src/test/resources/sipp/register-auth.xml
nc=runtime/src/test/python/netconf_interop.py
python3 -c "
print('SEQUENTIAL')
for i in range(20): print('user%d;[authentication username=user%d password=Sup3r-secret-pw]' % (i, i))" >"$work/users.csv"

cpu_pct() { # pid seconds: CPU of the server's processes over the next seconds, in % of one core
  local t0 t1; t0=$(cpu_ticks "$1"); sleep "$2"; t1=$(cpu_ticks "$1")
  awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$2" 'BEGIN { printf "%.1f", d * 100 / hz / s }'
}

# experiment NAME PORT PID: the flood and the legitimate phone against a server already running
experiment() {
  local name=$1 port=$2 pid=$3 legit flood before first rest after
  sipp -sf "$scenario" -inf "$work/users.csv" "127.0.0.1:$port" -i 127.0.0.3 -p 0 -m $(( (secs + 8) * 2 )) -r 2 -nostdin \
    -timeout $((secs + 30))s >"$work/legit-$name.out" 2>&1 &
  legit=$!; record_pid "legit-$name" "$legit"
  before=$(cpu_pct "$pid" 3)
  sipp -sf "$scenario" -inf "$work/users.csv" "127.0.0.1:$port" -i 127.0.0.2 -p 0 -m $((rate * secs)) -r "$rate" -l $((rate * 4)) \
    -nostdin -timeout $((secs + 5))s -recv_timeout 2000 -trace_msg -message_file "$work/flood-$name.log" >"$work/flood-$name.out" 2>&1 &
  flood=$!; record_pid "flood-$name" "$flood"
  first=$(cpu_pct "$pid" 1)
  rest=$(cpu_pct "$pid" $((secs - 2)))
  wait "$flood" || true; rm -f "$work/flood-$name.pid"
  after=$(cpu_pct "$pid" 3)
  wait "$legit" || true; rm -f "$work/legit-$name.pid"
  local ok failed ttb
  ok=$(sipp_count "$work/legit-$name.out" "Successful call")
  failed=$(sipp_count "$work/legit-$name.out" "Failed call")
  ttb=$(bench/sipp_log.py "$work/flood-$name.log")
  printf "%-26s %s; legitimate %d/%d ok (%s %%); CPU %% before %s, flood 1st s %s, flood after block %s, after %s\n" "$name" "$ttb" \
    "$ok" $((ok + failed)) "$(awk -v o="$ok" -v f="$failed" 'BEGIN { printf "%.1f", (o + f) ? o * 100 / (o + f) : 0 }')" \
    "$before" "$first" "$rest" "$after"
}

besip() { # NAME FIREWALL(nftables|none|disabled)
  local name=$1 mode=$2 http=15410 ncport=15411 sip=15412 pid data="$work/data-$1"
  BESIP_DATA=$data BESIP_OPTS="-Dbesip.http.host=127.0.0.1 -Dbesip.http.port=$http -Dbesip.netconf.host=127.0.0.1 \
-Dbesip.netconf.port=$ncport -Dbesip.sip.host=127.0.0.1 -Dbesip.sip.port=$sip" setsid "$dist/bin/besip" </dev/null >"$work/$name.out" 2>&1 &
  echo $! >"$work/besip.pid"
  for _ in $(seq 100); do grep -q "besip: ready" "$work/$name.out" && break; sleep 0.1; done
  pid=$(java_pid_of "$(cat "$work/besip.pid")")
  local pw; pw=$(cat "$data/admin-password.txt")
  curl -s -u "admin:$pw" -X POST "http://127.0.0.1:$http/system/console/besip-modules.json?action=enable&module=pbx" >/dev/null
  if [ "$mode" = disabled ]; then
    curl -s -u "admin:$pw" -X POST "http://127.0.0.1:$http/system/console/besip-modules.json?action=disable&module=security" >/dev/null
  fi
  /usr/bin/python3 "$nc" 127.0.0.1 $ncport "$pw" configure_pbx_users 20 Sup3r-secret-pw >/dev/null
  if [ "$mode" != disabled ]; then
    /usr/bin/python3 - "$ncport" "$pw" "$mode" <<'PY'
import sys
from ncclient import manager
m = manager.connect(host="127.0.0.1", port=int(sys.argv[1]), username="admin", password=sys.argv[2], hostkey_verify=False,
                    allow_agent=False, look_for_keys=False)
m.edit_config(target="running", config='<config><security xmlns="urn:besip:params:xml:ns:yang:besip-security"><firewall>%s</firewall>'
              '</security></config>' % sys.argv[3])
PY
  fi
  for _ in $(seq 100); do grep -q "SIP over UDP on /127.0.0.1:$sip" "$data/logs/besip.log" && break; sleep 0.1; done
  sleep 1
  experiment "$name" $sip "$pid"
  grep -q "via the application and nftables" "$data/logs/besip.log" && echo "  (kernel: the block went into nftables)" || true
  stop_pid besip
  sleep 1
}

echo "# flood: $rate registrations/s from 127.0.0.2 for $secs s; legitimate: 2/s from 127.0.0.3"
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
  besip "besip-security-nftables" nftables
else
  echo "besip-security-nftables    skipped: needs root and nft"
fi
besip "besip-security-app-only" none
besip "besip-security-disabled" disabled

sed -e "s/@PORT@/15413/; s/@CHILDREN@/1/; s/@PASSWORD@/Sup3r-secret-pw/" bench/kamailio-pike.cfg.in >"$work/kamailio.cfg"
/usr/sbin/kamailio -f "$work/kamailio.cfg" -P "$work/kamailio.pid" -m 64 -M 8 -DD -E >"$work/kamailio.out" 2>&1 &
kam=$!; record_pid kamailio "$kam" # Kamailio writes the same pid there itself (-P)
sleep 2
grep -qi "error" "$work/kamailio.out" && { echo "kamailio did not start:"; head -20 "$work/kamailio.out"; exit 1; }
experiment "kamailio-pike" 15413 "$kam"
grep -c "ALERT: pike blocking" "$work/kamailio.out" | sed 's/^/  (pike alerts logged: /; s/$/)/'
stop_pid kamailio # Kamailio wrote its pid there (-P)
