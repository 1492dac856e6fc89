# Sourced by the SIP benchmarks (sip.sh, sip-register.sh): sipp at rising rates.
# Needs $work (a scratch directory) and $step_s (seconds per step) set by the caller.

# sipp_count FILE LABEL: the cumulative count of a sipp statistics line ("Successful call", …), 0 if none
sipp_count() {
  local v
  v=$(grep -E "$2" "$1" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  echo "${v:-0}"
}

# rate_steps NAME UNIT STEP_FN RATE...: for each rate calls "STEP_FN RATE OUTFILE" (one sipp run of
# $step_s seconds writing its output to OUTFILE) and prints the step; sets KNEE (the highest rate with
# no failure and at least 80 % of it achieved) and TOTAL_OK.
rate_steps() {
  local name=$1 unit=$2 fn=$3
  shift 3
  KNEE=0
  TOTAL_OK=0
  local rate out t0 t1 ok failed achieved
  for rate in "$@"; do
    out="$work/sipp-$name-$rate.out"
    t0=$(date +%s%N)
    "$fn" "$rate" "$out"
    t1=$(date +%s%N)
    ok=$(sipp_count "$out" "Successful call")
    failed=$(sipp_count "$out" "Failed call")
    achieved=$(( ok * 1000000000 / (t1 - t0) ))
    TOTAL_OK=$((TOTAL_OK + ok))
    printf "  target %5d %s: %6d ok, %5d failed, %5d %s achieved\n" "$rate" "$unit" "$ok" "$failed" "$achieved" "$unit"
    if [ "$failed" = 0 ] && [ "$achieved" -ge $((rate * 8 / 10)) ]; then KNEE=$rate; fi
  done
}

# The server-process figures (CPU ticks, PSS) the steps are reported with.
. bench/procs.sh
