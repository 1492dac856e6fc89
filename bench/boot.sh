#!/usr/bin/env bash
# Boot benchmark: time from starting bin/besip to the Web Console answering 200 (authenticated),
# and the JVM's resident memory once booted; median over several runs, first boot (empty data
# directory) and warm boot (data directory from the previous run) apart.
# The anchor, measured in the same run: Apache Karaf minimal (the container people use today),
# time from bin/karaf to its SSH console port accepting connections, and its RSS.
#
#   bench/boot.sh [runs]          (default 5; needs ./mvnw package first, or builds it)
#   BESIP_BENCH_NO_ANCHOR=1 bench/boot.sh   skips Karaf
#   BENCH_BINDINGS=1000 bench/boot.sh       before each warm boot, the box is booted once more and
#       given 1000 users over NETCONF, each registered once by sipp (digest, expires 3600): the warm
#       boot restores 1000 bindings (checked in its SQLite file before, and in its log after)
#   BESIP_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java, BESIP_BENCH_OPTS=...: another JDK, more options
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
dist=${BENCH_DIST:-runtime/target/besip} # BENCH_DIST=runtime/target/besip-image-x86_64: the image
karaf_version=4.4.8
port=18180
work=$(mktemp -d /tmp/besip-bench.XXXXXX)
trap 'stop_recorded; rm -rf "$work"' EXIT # only what this script started, by pid (bench/procs.sh)

[ -x "$dist/bin/besip" ] || ./mvnw -B -q package -DskipTests

. bench/procs.sh
now_ms() { date +%s%3N; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

boot_once() { # $1 data dir; prints "ms rss_kb"
  local data=$1 t0 pid code=000 pw=""
  t0=$(now_ms)
  BESIP_DATA=$data BESIP_OPTS="-Dbesip.http.port=$port -Dbesip.http.host=127.0.0.1 -Dbesip.netconf.port=$((port + 1)) -Dbesip.netconf.host=127.0.0.1 -Dbesip.sip.port=$((port + 2)) -Dbesip.sip.host=127.0.0.1 ${BESIP_BENCH_OPTS:-}" \
    setsid "$dist/bin/besip" </dev/null >"$data.out" 2>&1 &
  pid=$!; record_pid besip "$pid"
  for _ in $(seq 3000); do
    [ -z "$pw" ] && [ -r "$data/admin-password.txt" ] && pw=$(cat "$data/admin-password.txt")
    if [ -n "$pw" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$pw" "http://127.0.0.1:$port/system/console/bundles" || true)
      [ "$code" = 200 ] && break
    fi
    sleep 0.01
  done
  local ms=$(( $(now_ms) - t0 ))
  [ "$code" = 200 ] || { echo "besip did not answer 200 (last $code):" >&2; cat "$data.out" >&2; exit 1; }
  sleep 1
  local rss; rss=$(rss_kb "$(java_pid_of "$pid")")
  stop_pid besip
  echo "$ms $rss"
}

bindings=${BENCH_BINDINGS:-0}
bindings_in() { # $1 data dir: the bindings saved in the pbx module's SQLite file
  /usr/bin/python3 -c "
import sqlite3, sys
try:
    print(sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True, timeout=10).execute('select count(*) from binding').fetchone()[0])
except sqlite3.Error:
    print(0)" "$1/db/pbx.db"
}
prepare_bindings() { # $1 data dir: $bindings users over NETCONF, each registered once
  local data=$1 pw
  BESIP_DATA=$data BESIP_OPTS="-Dbesip.http.port=$port -Dbesip.http.host=127.0.0.1 -Dbesip.netconf.port=$((port + 1)) -Dbesip.netconf.host=127.0.0.1 -Dbesip.sip.port=$((port + 2)) -Dbesip.sip.host=127.0.0.1" \
    setsid "$dist/bin/besip" </dev/null >"$data.prep.out" 2>&1 &
  record_pid besip $!
  for _ in $(seq 600); do grep -q "besip: ready" "$data.prep.out" 2>/dev/null && break; sleep 0.05; done
  pw=$(cat "$data/admin-password.txt")
  /usr/bin/python3 bench/netconf_client.py 127.0.0.1 $((port + 1)) admin "password:$pw" users "$bindings" >/dev/null
  for _ in $(seq 200); do grep -q "SIP proxy as 127.0.0.1:$((port + 2))" "$data/logs/besip.log" 2>/dev/null && break; sleep 0.05; done
  /usr/bin/python3 -c "
import sys
print('SEQUENTIAL')
for i in range(int(sys.argv[1])): print('u%d;[authentication username=u%d password=Str0ng-pass-%d-x]' % (i, i, i))" "$bindings" >"$work/users.csv"
  sipp -sf bundles/pbx/src/test/resources/sipp/register-auth.xml -inf "$work/users.csv" "127.0.0.1:$((port + 2))" -i 127.0.0.1 -p 0 \
    -m "$bindings" -r 200 -nostdin -timeout 60s >"$work/sipp.out" 2>&1 || { echo "the registrations failed" >&2; tail "$work/sipp.out" >&2; exit 1; }
  for _ in $(seq 100); do [ "$(bindings_in "$data")" -ge "$bindings" ] && break; sleep 0.1; done
  stop_pid besip
  [ "$(bindings_in "$data")" -ge "$bindings" ] || { echo "only $(bindings_in "$data") bindings saved" >&2; exit 1; }
}

echo "besip boot benchmark: $runs runs, $(nproc) cores, $("${BESIP_JAVA:-java}" -version 2>&1 | head -1)${BESIP_BENCH_OPTS:+, options $BESIP_BENCH_OPTS}"
[ "$bindings" -gt 0 ] && echo "  warm boots with $bindings registered bindings"
first_ms=(); first_rss=(); warm_ms=(); warm_rss=()
for i in $(seq "$runs"); do
  d="$work/data-$i"
  read -r ms rss < <(boot_once "$d"); first_ms+=("$ms"); first_rss+=("$rss")
  [ "$bindings" -gt 0 ] && prepare_bindings "$d"
  read -r ms rss < <(boot_once "$d"); warm_ms+=("$ms"); warm_rss+=("$rss")
  if [ "$bindings" -gt 0 ] && ! grep -q "restored $bindings registrations" "$d/logs/besip.log"; then
    echo "the warm boot did not restore $bindings registrations" >&2; exit 1
  fi
  echo "  run $i: first boot ${first_ms[-1]} ms ${first_rss[-1]} kB, warm boot $ms ms $rss kB"
done
fb=$(printf '%s\n' "${first_ms[@]}" | median); fr=$(printf '%s\n' "${first_rss[@]}" | median)
wb=$(printf '%s\n' "${warm_ms[@]}" | median); wr=$(printf '%s\n' "${warm_rss[@]}" | median)
echo "besip median: first boot $fb ms, $((fr / 1024)) MB RSS; warm boot $wb ms, $((wr / 1024)) MB RSS"
echo "targets: boot < 1500 ms, RSS < 96 MB"

[ -n "${BESIP_BENCH_NO_ANCHOR:-}" ] && exit 0
# ---- anchor: Apache Karaf minimal, same machine, same run ----
./mvnw -B -q dependency:copy -Dartifact="org.apache.karaf:apache-karaf-minimal:$karaf_version:tar.gz" \
  -DoutputDirectory="$work" >/dev/null
tar -xzf "$work/apache-karaf-minimal-$karaf_version.tar.gz" -C "$work"
karaf="$work/apache-karaf-minimal-$karaf_version"
k_ms=(); k_rss=()
for i in $(seq "$runs"); do
  t0=$(now_ms)
  CHECK_ROOT_INSTANCE_RUNNING=false setsid "$karaf/bin/karaf" server </dev/null >"$work/karaf-$i.out" 2>&1 &
  kpid=$!; record_pid karaf "$kpid"
  up=""
  for _ in $(seq 6000); do
    if (exec 3<>/dev/tcp/127.0.0.1/8101) 2>/dev/null; then up=1; break; fi
    sleep 0.01
  done
  ms=$(( $(now_ms) - t0 ))
  [ -n "$up" ] || { echo "karaf did not open 8101" >&2; exit 1; }
  sleep 1
  kjava=$(java_pid_of "$kpid")
  rss=$(rss_kb "$kjava")
  kill -- "-$kpid" 2>/dev/null || true; kill "$kjava" 2>/dev/null || true
  for _ in $(seq 1000); do [ -d "/proc/$kjava" ] || break; sleep 0.02; done
  stop_pid karaf
  for _ in $(seq 500); do (exec 3<>/dev/tcp/127.0.0.1/8101) 2>/dev/null || break; sleep 0.02; done
  k_ms+=("$ms"); k_rss+=("$rss")
  echo "  karaf run $i ($( [ "$i" = 1 ] && echo first || echo warm ) boot): $ms ms $rss kB"
done
kb=$(printf '%s\n' "${k_ms[@]:1}" | median); kr=$(printf '%s\n' "${k_rss[@]:1}" | median)
echo "anchor Karaf minimal $karaf_version median warm boot: $kb ms to SSH, $((kr / 1024)) MB RSS"
awk -v b="$wb" -v k="$kb" -v br="$wr" -v kr="$kr" 'BEGIN {
  printf "ratio besip/Karaf: boot %.2f, RSS %.2f (below 1 = besip better)\n", b / k, br / kr }'
