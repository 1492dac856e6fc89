#!/usr/bin/env bash
# NETCONF throughput: the same lean client (bench/netconf_client.py: paramiko, base:1.1 chunked,
# one request in flight) against besip and against Debian's netconfd (yuma123, the server BESIP
# used), both serving besip-system.yang, in one run: get-config and edit-config + commit,
# ops/s and p50/p99 (ms), median of ROUNDS alternating rounds, and the ratio besip/netconfd.
#
#   bench/netconf.sh [rounds] [ops]     (default 5 rounds of 2000 operations, 30 s cap each)
#   bench/netconf.sh bulk [users ...]   (default 1000 10000 50000): office and fleet scale, both
#       servers serving besip-pbx.yang too: one edit-config of that many users into the candidate,
#       its commit, get-config of running, and the edit + commit that removes them, in seconds
# Needs: netconfd, openssh-server (sshd), python3-paramiko (Debian); installs them when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=ops
if [ "${1:-}" = bulk ]; then
  mode=bulk; shift
  sizes=${*:-1000 10000 50000}
else
  rounds=${1:-5}
  ops=${2:-2000}
fi
dist=runtime/target/besip
work=$(mktemp -d /tmp/besip-ncbench.XXXXXX)
bport=18930; nport=18931; hport=18932
cleanup() {
  [ -n "${bpid:-}" ] && kill -- "-$bpid" 2>/dev/null || true
  [ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
  [ -n "${npid:-}" ] && kill "$npid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

need=""
command -v netconfd >/dev/null || need="$need netconfd"
[ -x /usr/sbin/sshd ] || need="$need openssh-server"
/usr/bin/python3 -c 'import paramiko' 2>/dev/null || need="$need python3-paramiko"
if [ -n "$need" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $need
fi
[ -x "$dist/bin/besip" ] || ./mvnw -B -q package -DskipTests

# besip, as bin/besip starts it on a box
BESIP_DATA="$work/besip" BESIP_OPTS="-Dbesip.http.port=$hport -Dbesip.http.host=127.0.0.1 -Dbesip.netconf.port=$bport -Dbesip.netconf.host=127.0.0.1" \
  setsid "$dist/bin/besip" </dev/null >"$work/besip.out" 2>&1 &
bpid=$!

# netconfd with the same YANG module, behind a private sshd with its netconf subsystem
cp bundles/netconf/src/main/resources/yang/besip-system.yang bundles/pbx/src/main/resources/yang/besip-pbx.yang "$work/"
modules="--module=$work/besip-system.yang"
[ "$mode" = bulk ] && modules="$modules --module=$work/besip-pbx.yang"
ssh-keygen -q -t ed25519 -N "" -f "$work/hostkey"
ssh-keygen -q -t ed25519 -N "" -f "$work/clientkey"
cp "$work/clientkey.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<CFG
Port $nport
ListenAddress 127.0.0.1
HostKey $work/hostkey
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin yes
PasswordAuthentication no
UsePAM no
StrictModes no
PidFile $work/sshd.pid
Subsystem netconf "/usr/sbin/netconf-subsystem --ncxserver-sockname=$nport@$work/ncxserver.sock"
CFG
# shellcheck disable=SC2086
netconfd $modules --no-startup --port="$nport" --superuser="$(id -un)" \
  --ncxserver-sockname="$work/ncxserver.sock" --log-level=error >"$work/netconfd.log" 2>&1 &
npid=$!
mkdir -p /run/sshd 2>/dev/null || true
for _ in $(seq 100); do [ -S "$work/ncxserver.sock" ] && break; sleep 0.05; done
/usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log"
for _ in $(seq 600); do grep -q "besip: ready" "$work/besip.out" 2>/dev/null && break; sleep 0.05; done
grep -q "besip: ready" "$work/besip.out" || { cat "$work/besip.out"; exit 1; }
pw=$(cat "$work/besip/admin-password.txt")

if [ "$mode" = bulk ]; then
  echo "NETCONF at scale: users $sizes, $(nproc) cores; besip as shipped (bin/besip, pbx and security on); $(netconfd --version 2>&1 | head -1)"
  printf '%-8s %-9s %9s %9s %11s %9s %9s %9s\n' users server "edit s" "commit s" "edit+commit" "get s" "remove s" "RSS MiB"
  for n in $sizes; do
    for server in besip netconfd; do
      if [ $server = besip ]; then port=$bport; user="admin"; cred="password:$pw"; pid=$bpid; else port=$nport; user=$(id -un); cred="key:$work/clientkey"; pid=$npid; fi
      if out=$(/usr/bin/python3 bench/netconf_client.py 127.0.0.1 "$port" "$user" "$cred" bulk "$n" 2>"$work/bulk.err"); then
        # RSS of the server process (besip: the JVM under setsid's group leader)
        jpid=$(pgrep -g "$pid" java 2>/dev/null | head -1 || true); [ -n "$jpid" ] || jpid=$pid
        rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$jpid/status" 2>/dev/null || echo "?")
        /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("%-8d %-9s %9.2f %9.2f %11.2f %9.2f %9.2f %9s" % (r["users"], sys.argv[2], r["edit_s"], r["commit_s"], r["edit_s"] + r["commit_s"], r["get_config_s"], r["remove_s"] + r["remove_commit_s"], sys.argv[3]))' "$out" "$server" "$rss"
      else
        printf '%-8d %-9s refused or failed: %s\n' "$n" "$server" "$(tail -c 300 "$work/bulk.err" | tr '\n' ' ')"
      fi
    done
  done
  exit 0
fi

echo "NETCONF benchmark: $rounds rounds x $ops ops per server, $(nproc) cores; $(netconfd --version 2>&1 | head -1)"
for r in $(seq "$rounds"); do
  /usr/bin/python3 bench/netconf_client.py 127.0.0.1 "$bport" admin "password:$pw" "$ops" 30 >>"$work/besip.json"
  /usr/bin/python3 bench/netconf_client.py 127.0.0.1 "$nport" "$(id -un)" "key:$work/clientkey" "$ops" 30 >>"$work/netconfd.json"
  echo "  round $r: besip $(tail -1 "$work/besip.json")"
  echo "           netconfd $(tail -1 "$work/netconfd.json")"
done
/usr/bin/python3 - "$work/besip.json" "$work/netconfd.json" <<'PY'
import json, statistics, sys
runs = {name: [json.loads(l) for l in open(f)] for name, f in zip(("besip", "netconfd"), sys.argv[1:])}
med = lambda name, op, k: statistics.median(r[op][k] for r in runs[name])
print("%-12s %-10s %10s %9s %9s" % ("operation", "server", "ops/s", "p50 ms", "p99 ms"))
for op in ("get_config", "edit_commit"):
    for name in ("besip", "netconfd"):
        print("%-12s %-10s %10.1f %9.3f %9.3f" % (op, name, med(name, op, "ops_s"), med(name, op, "p50_ms"), med(name, op, "p99_ms")))
    print("%-12s ratio besip/netconfd ops/s: %.2f (target >= 1.0)" % (op, med("besip", op, "ops_s") / med("netconfd", op, "ops_s")))
PY
