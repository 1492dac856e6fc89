# Sourced by the benchmarks (boot.sh, sip.sh, sip-register.sh, flood.sh, netconf.sh): the processes of a server
# under test, what they cost, and how a benchmark stops what it started.

# A server's processes (the pid and its children: Kamailio forks), their CPU ticks and PSS.
pids_of() {
  echo "$1"; pgrep -P "$1" || true
}
cpu_ticks() { local t=0 p; for p in $(pids_of "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }
pss_kib() { local t=0 p; for p in $(pids_of "$1"); do t=$((t + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0))); done; echo $t; }

# The JVM below a launcher shell such as bin/besip (or the shell itself once it exec'd java).
java_pid_of() {
  local p=$1 c
  for _ in $(seq 100); do
    if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q java; then echo "$p"; return; fi
    c=$(pgrep -P "$p" | head -1 || true); [ -n "$c" ] && p=$c; sleep 0.02
  done
  echo "$p"
}

# The processes a benchmark starts, each recorded by its pid in "$work/NAME.pid" (by the script
# with record_pid, or by the server itself, as Kamailio's -P does). They are stopped by that pid
# only, never by a name pattern that could match an operator's own processes: the whole process
# group where the script started the process with setsid (bin/besip and the JVM below it), else
# the process alone.
record_pid() { echo "$2" >"$work/$1.pid"; }
stop_pid() {
  local f="$work/$1.pid" p
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  rm -f "$f"
}
stop_recorded() { local f; for f in "$work"/*.pid; do [ -f "$f" ] && stop_pid "$(basename "$f" .pid)"; done; return 0; }
