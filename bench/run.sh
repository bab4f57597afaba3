#!/usr/bin/env bash
# `npm run bench`: direct vs the bare node:http pass-through vs tokenmeter (full accounting), JSON and
# streaming, 1/16/64 connections, on loopback against the mock upstream of the shared gateway bench
# (../shared/bench, or $TOKENMETER_SHARED_BENCH). Results: bench/out/<utc time>/{passthrough,tokenmeter}/
# (table.md, runs.jsonl, logs) and bench/out/<utc time>/summary.md (the combined table).
#
# Env (defaults): DURATION=15 WARMUP=3 REPEATS=1 LEVELS="1 16 64" STREAM_LEVELS="1 16 64"
#   BENCH_QUICK=1       quick iteration: DURATION=5 WARMUP=1 (unless set explicitly)
#   BENCH_GATEWAYS="passthrough tokenmeter"   which gateways to run (specs: shared passthrough, ours)
#   MOCK_PORT=18180     (ports away from the shared bench's defaults, so a parallel run-peer.sh does not collide)
#   IDLE_WAIT_S=0       wait up to N s for the machine to go quiet before each gateway's load
#   Any other run-peer.sh knob (MOCK_CPU, GW_CPU, WRK_CPU, MOCK_DELAY_MS, ...) is passed through.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${TOKENMETER_SHARED_BENCH:-$ROOT/../shared/bench}
say() { echo "== $*" >&2; }

if [ ! -f "$SHARED/run-peer.sh" ] || [ ! -f "$SHARED/gateways/passthrough.sh" ]; then
  say "the shared gateway bench was not found at $SHARED (set TOKENMETER_SHARED_BENCH to its folder)."
  say "it holds the mock upstream, wrk script and load harness this benchmark reuses; skipping the benchmark."
  exit 0
fi
SHARED=$(cd "$SHARED" && pwd)
if [ ! -f "$ROOT/dist/src/cli/main.js" ]; then
  echo "tokenmeter is not built: run 'npm run build' (npm run bench does it first)" >&2
  exit 1
fi

for tool in wrk taskset curl; do
  if ! command -v "$tool" >/dev/null; then
    pkg=$tool; [ "$tool" = taskset ] && pkg=util-linux
    say "$tool not found: installing the Debian package '$pkg' with apt-get"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$pkg" >/dev/null; fi
  fi
done

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  export DURATION=${DURATION:-5} WARMUP=${WARMUP:-1}
fi
export DURATION=${DURATION:-15} WARMUP=${WARMUP:-3} REPEATS=${REPEATS:-1}
export LEVELS=${LEVELS:-1 16 64}
export STREAM_LEVELS=${STREAM_LEVELS-1 16 64}
export MOCK_PORT=${MOCK_PORT:-18180}
export SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/tokenmeter-bench}
export TOKENMETER_ROOT=$ROOT
GATEWAYS=${BENCH_GATEWAYS:-passthrough tokenmeter}
STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/out/$STAMP
mkdir -p "$OUT"

cells=$(( $(wc -w <<<"$LEVELS") + $(wc -w <<<"$STREAM_LEVELS") ))
per_gw=$(( cells * 2 * (DURATION + WARMUP) * REPEATS ))
say "gateways: $GATEWAYS; levels json=[$LEVELS] stream=[$STREAM_LEVELS]; ${DURATION}s (+${WARMUP}s warm-up) x $REPEATS"
say "about $(( per_gw * $(wc -w <<<"$GATEWAYS") / 60 + 1 )) min of load; results in $OUT"
say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node -v)"

# Ticks of one field of /proc/stat's all-cores line (the label is field 1: 8 = softirq, 9 = steal).
stat_ticks() { awk -v col="$1" '/^cpu / {print $col; exit}' /proc/stat; }
clk_tck=$(getconf CLK_TCK)
dirs=()
cpu_notes=()
for gw in $GATEWAYS; do
  case $gw in
    passthrough) spec=$SHARED/gateways/passthrough.sh ;;
    tokenmeter) spec=$ROOT/bench/gateways/tokenmeter.sh ;;
    *) spec=$gw; gw=$(basename "$gw" .sh) ;;
  esac
  say "run-peer.sh $spec"
  steal0=$(stat_ticks 9) softirq0=$(stat_ticks 8) t0=$(date +%s.%N)
  OUT_DIR=$OUT/$gw bash "$SHARED/run-peer.sh" "$spec"
  dirs+=("$OUT/$gw")
  # The harness's "other CPU" counts steal (the hypervisor running someone else on our vCPUs) and softirq (loopback
  # networking) as busy: report them apart, since steal stalls requests in ways no gateway change can fix.
  cpu_notes+=("$(awk -v s="$(( $(stat_ticks 9) - steal0 ))" -v q="$(( $(stat_ticks 8) - softirq0 ))" -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$clk_tck" -v gw="$gw" \
    'BEGIN { d = (t1 - t0) * hz; printf "- %s run: VM steal %.0f %% of one core on average, softirq %.0f %%", gw, 100 * s / d, 100 * q / d }')")
done

node "$ROOT/bench/combine-results.mjs" "${dirs[@]}" --json "$OUT/summary.json" > "$OUT/summary.md"
{ echo; printf '%s\n' "${cpu_notes[@]}"; } >> "$OUT/summary.md"
cat "$OUT/summary.md"
ln -sfn "$STAMP" "$ROOT/bench/out/latest"
say "combined table: $OUT/summary.md (bench/out/latest/summary.md)"
