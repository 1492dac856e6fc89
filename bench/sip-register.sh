#!/usr/bin/env bash
# SIP stack choice (issue 4): the same sipp REGISTER scenario with digest authentication
# (bundles/pbx/src/test/resources/sipp/register-auth.xml: REGISTER, 401, REGISTER with
# credentials, 200) against besip's focused registrar (NIO UDP, bundles/pbx) and against the
# JAIN-SIP reference implementation 1.3.0-91 doing the same job (bench/sip-stack), both in a JVM
# with bin/besip's small-box options. Rate steps find each one's knee: the highest rate sipp
# sustains with no failed registration. Also CPU time per 1000 registrations and RSS after.
#
#   bench/sip-register.sh [seconds-per-step]     (default 5; steps 250 500 1000 2000 4000 calls/s)
set -euo pipefail
cd "$(dirname "$0")/.."
step_s=${1:-5}
work=$(mktemp -d /tmp/besip-sipbench.XXXXXX)
trap 'stop_recorded; rm -rf "$work"' EXIT # only what this script started, by pid (bench/procs.sh)
command -v sipp >/dev/null || { echo "needs sipp (Debian sip-tester)"; exit 1; }
[ -f bundles/pbx/target/classes/org/besip/pbx/internal/StandaloneRegistrar.class ] || ./mvnw -B -q -pl bundles/core,bundles/pbx install -DskipTests
(cd bench/sip-stack && ../../mvnw -B -q package dependency:copy-dependencies -DoutputDirectory=target/lib >/dev/null)

jvm="-Xms16m -Xmn4m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xss512k"
python3 -c "
print('SEQUENTIAL')
for i in range(1000): print('user%d;[authentication username=user%d password=s3cret]' % (i, i))" >"$work/users.csv"

. bench/sipp-steps.sh

register_step() { # rate outfile; uses run_server's $port
  sipp -sf bundles/pbx/src/test/resources/sipp/register-auth.xml -inf "$work/users.csv" "127.0.0.1:$port" \
    -i 127.0.0.1 -p 0 -m $(($1 * step_s)) -r "$1" -l $(($1 * 2)) -nostdin -timeout $((step_s * 4))s -recv_timeout 5000 \
    >"$2" 2>&1 || true
}

run_server() { # name port command...
  local name=$1 port=$2; shift 2
  "$@" >"$work/$name.out" 2>&1 &
  local pid=$!; record_pid "$name" "$pid"
  sleep 2
  echo "== $name ($(head -1 "$work/$name.out"))"
  local ticks0 ticks1
  ticks0=$(cpu_ticks "$pid")
  rate_steps "$name" reg/s register_step 250 500 1000 2000 4000
  ticks1=$(cpu_ticks "$pid")
  local hz; hz=$(getconf CLK_TCK)
  local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  echo "  knee: $KNEE reg/s; CPU $(( (ticks1 - ticks0) * 1000 * 1000 / hz / (TOTAL_OK > 0 ? TOTAL_OK : 1) )) ms per 1000 registrations; RSS $((rss / 1024)) MiB"
  echo "$KNEE" >"$work/$name.knee"
  stop_pid "$name"
}

run_server besip 15260 java $jvm -cp bundles/pbx/target/classes:bundles/core/target/classes \
  org.besip.pbx.internal.StandaloneRegistrar 127.0.0.1 15260 1000 s3cret
run_server jain-sip 15261 java $jvm -cp "bench/sip-stack/target/jain-sip-registrar-1.jar:bench/sip-stack/target/lib/*" \
  bench.JainSipRegistrar 127.0.0.1 15261 s3cret
awk -v b="$(cat "$work/besip.knee")" -v j="$(cat "$work/jain-sip.knee")" \
  'BEGIN { printf "knee ratio besip/JAIN-SIP: %s\n", (j > 0 ? sprintf("%.2f", b / j) : "n/a (JAIN-SIP failed every step)") }'
