#!/usr/bin/env bash
# MICRO-BENCHMARK, not the product's figure (that is bench/sip.sh, the box as shipped): the PBX's
# registrar and proxy classes alone, without OSGi, security, persistence or CDRs.
# The PBX against Kamailio (issue 4), one after the other in one run, with the same sipp scenarios:
#  1. REGISTER with digest authentication (bundles/pbx/src/test/resources/sipp/register-auth.xml:
#     REGISTER, 401, REGISTER with credentials, 200; 1000 users): besip's registrar
#     (StandaloneRegistrar) vs Kamailio registrar+usrloc+auth (bench/kamailio-registrar.cfg.in).
#  2. Call setups through the proxy: sipp's built-in uac calls bob, sipp's built-in uas answers
#     (INVITE, 100, 180, 200, ACK, BYE, 200): besip's stateful proxy (StandaloneProxy: the box's
#     Proxy with its transaction layer) vs Kamailio tm t_relay (bench/kamailio-proxy.cfg.in).
# besip runs in a JVM with bin/besip's small-box options; Kamailio with one worker process. Rate
# steps find each one's knee: the highest rate with no failure (< 0.1 % is the issue's bar; the
# knee asks for none) and at least 80 % of the rate achieved. Prints CPU per 1000 and PSS after,
# and the ratios besip/Kamailio.
#
#   bench/sip-harness.sh [seconds-per-step]     (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
step_s=${1:-5}
work=$(mktemp -d /tmp/besip-sipbench.XXXXXX)
cleanup() {
  stop_recorded # the JVMs, Kamailio (its own -P file) and the sipp uas: by the pids recorded, nothing else
  rm -rf "$work"
}
trap cleanup EXIT
command -v sipp >/dev/null || { echo "needs sipp (Debian sip-tester)"; exit 1; }
[ -x /usr/sbin/kamailio ] || { echo "needs kamailio (Debian kamailio)"; exit 1; }
[ -f bundles/pbx/target/classes/org/besip/pbx/internal/StandaloneProxy.class ] || ./mvnw -B -q -pl bundles/core,bundles/pbx install -DskipTests

jvm="-Xms16m -Xmn4m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xss512k"
cp="bundles/pbx/target/classes:bundles/core/target/classes"
hz=$(getconf CLK_TCK)
. bench/sipp-steps.sh
python3 -c "
print('SEQUENTIAL')
for i in range(1000): print('user%d;[authentication username=user%d password=s3cret]' % (i, i))" >"$work/users.csv"

register_step() { # rate outfile; uses $port
  sipp -sf bundles/pbx/src/test/resources/sipp/register-auth.xml -inf "$work/users.csv" "127.0.0.1:$port" \
    -i 127.0.0.1 -p 0 -m $(($1 * step_s)) -r "$1" -l $(($1 * 2)) -nostdin -timeout $((step_s * 4))s -recv_timeout 5000 \
    >"$2" 2>&1 || true
}
call_step() { # rate outfile; uses $port
  sipp -sn uac -s bob "127.0.0.1:$port" -i 127.0.0.1 -p 0 -m $(($1 * step_s)) -r "$1" -l $(($1 * 2)) -d 0 -nostdin \
    -timeout $((step_s * 4))s -recv_timeout 5000 >"$2" 2>&1 || true
}

# measure NAME UNIT STEP PID RATE...: the steps against a running server, its knee, CPU and PSS
measure() {
  local name=$1 unit=$2 step=$3 pid=$4; shift 4
  echo "== $name"
  local t0 t1
  t0=$(cpu_ticks "$pid")
  rate_steps "$name" "$unit" "$step" "$@"
  t1=$(cpu_ticks "$pid")
  echo "  knee: $KNEE $unit; CPU $(( (t1 - t0) * 1000 * 1000 / hz / (TOTAL_OK > 0 ? TOTAL_OK : 1) )) ms per 1000; PSS $(( $(pss_kib "$pid") / 1024 )) MiB"
  echo "$KNEE" >"$work/$name.knee"
}

kamailio() { # cfg port callee: starts Kamailio, sets $pid
  sed -e "s/@PORT@/$2/; s/@CALLEE@/$3/; s/@CHILDREN@/1/; s/@PASSWORD@/s3cret/" "bench/$1" >"$work/$1.cfg"
  /usr/sbin/kamailio -f "$work/$1.cfg" -P "$work/kamailio-$2.pid" -m 512 -M 8 -DD -E >"$work/kamailio-$2.out" 2>&1 &
  pid=$!; record_pid "kamailio-$2" "$pid" # Kamailio writes the same pid there itself (-P)
  sleep 2
  if grep -qi "error" "$work/kamailio-$2.out"; then echo "kamailio did not start:"; head -20 "$work/kamailio-$2.out"; exit 1; fi
}

echo "micro-benchmark: the registrar and proxy classes alone (no OSGi, security, persistence or CDRs), not the box;" \
  "the box as shipped: bench/sip.sh"
echo "# REGISTER with digest authentication, 1000 users"
port=15290
java $jvm -cp "$cp" org.besip.pbx.internal.StandaloneRegistrar 127.0.0.1 $port 1000 s3cret >"$work/besip-reg.out" 2>&1 &
pid=$!; record_pid besip-reg "$pid"; sleep 2
measure besip-register reg/s register_step "$pid" 250 500 1000 2000 4000 8000
stop_pid besip-reg
port=15291
kamailio kamailio-registrar.cfg.in $port 0
measure kamailio-register reg/s register_step "$pid" 250 500 1000 2000 4000 8000
stop_pid "kamailio-$port"

echo "# call setups through the proxy (INVITE 100 180 200 ACK BYE 200)"
for side in besip kamailio; do
  if [ $side = besip ]; then
    port=15292; callee=15293
    java $jvm -cp "$cp" org.besip.pbx.internal.StandaloneProxy 127.0.0.1 $port $callee >"$work/besip-proxy.out" 2>&1 &
    pid=$!; record_pid "$side-server" "$pid"; sleep 2
  else
    port=15294; callee=15295
    kamailio kamailio-proxy.cfg.in $port $callee
  fi
  sipp -sn uas -i 127.0.0.1 -p "$callee" -nostdin >"$work/uas-$side.out" 2>&1 &
  uas=$!; record_pid "uas-$side" "$uas"; sleep 1
  measure "$side-proxy" calls/s call_step "$pid" 250 500 1000 2000 4000 8000
  stop_pid "uas-$side"; stop_pid "$side-server"; stop_pid "kamailio-$port"
done

ratio() { awk -v b="$(cat "$work/besip-$1.knee")" -v k="$(cat "$work/kamailio-$1.knee")" \
  'BEGIN { printf "%s", (k > 0 ? sprintf("%.2f", b / k) : "n/a") }'; }
echo "knee ratio besip/Kamailio: register $(ratio register), calls $(ratio proxy)"
