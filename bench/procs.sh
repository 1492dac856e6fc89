# Sourced by the benchmarks (boot.sh, sip.sh, sip-register.sh, flood.sh): the processes of a server
# under test and what they cost.

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
