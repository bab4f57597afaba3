#!/usr/bin/env bash
# Instructions per request of a gateway, counted by valgrind's callgrind: repeatable to ~2 % whatever else the
# machine is doing (wall-clock CPU per request on a shared VM moves by 10-30 % between runs), so it is the way to
# compare two builds. JIT compilation (V8's TurboFan/Maglev, on background threads) is reported apart: under
# valgrind it is still running after the warm-up, at a rate no real run has.
#
#   bash bench/instructions.sh                         # this checkout's dist/ (npm run build first)
#   ROOT=/path/to/other/checkout bash bench/instructions.sh
#   GWCMD="node ../shared/bench/gateways/passthrough.mjs" bash bench/instructions.sh   # the bare proxy
#
# Env: N=2000 measured requests after W=1000 warm-up ones, 16 in flight, the shared bench's chat body and mock.
# KEEP_DUMP=DIR keeps the callgrind dumps (callgrind_annotate --inclusive=no DIR/cg.out.1 lists the hot functions).
# Needs valgrind (Debian package) and ../shared/bench (or TOKENMETER_SHARED_BENCH). Takes ~1-2 min.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
SHARED=${TOKENMETER_SHARED_BENCH:-$HERE/../../shared/bench}
if [ ! -f "$SHARED/mock-upstream.mjs" ]; then echo "shared bench not found at $SHARED" >&2; exit 0; fi
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
N=${N:-2000} W=${W:-1000} MP=${MP:-18470} GP=${GP:-18471}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tokenmeter-instructions-XXXXXX")
MOCK="" GW=""
cleanup() { for p in $GW $MOCK; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
[ -n "${KEEP_DUMP:-}" ] && trap 'cp "$WORK"/cg.out* "$KEEP_DUMP"/ 2>/dev/null; cleanup' EXIT
node "$SHARED/make-body.mjs" "$WORK/bodies" >/dev/null 2>&1
MOCK_PORT=$MP node "$SHARED/mock-upstream.mjs" >/dev/null 2>&1 & MOCK=$!
GWCMD=${GWCMD:-node $ROOT/dist/src/cli/main.js start --port $GP --db $WORK/ledger.db --openai-url http://127.0.0.1:$MP/v1}
# shellcheck disable=SC2086 # GWCMD is a command line
(cd "$WORK" && GW_PORT=$GP UPSTREAM_BASE=http://127.0.0.1:$MP/v1 TOKENMETER_LOG=warn exec valgrind --tool=callgrind \
  --instr-atstart=no --smc-check=all-non-file --callgrind-out-file="$WORK/cg.out" $GWCMD) >"$WORK/gw.log" 2>&1 & GW=$!
for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$GP/" && break; sleep 0.2; done
load() { node "$HERE/instructions-client.mjs" "http://127.0.0.1:$GP/v1/chat/completions" "$WORK/bodies/chat.json" "$1" 16; }
load "$W"
callgrind_control -i on "$GW" >/dev/null 2>&1
load "$N"
callgrind_control -i off "$GW" >/dev/null 2>&1
callgrind_control -d "$GW" >/dev/null 2>&1
dump=$(ls -S "$WORK"/cg.out* | head -1)
callgrind_annotate --inclusive=no --threshold=100 "$dump" 2>/dev/null | awk -v n="$N" '
  /file:function/ { body = 1; next }
  body && /^ *[0-9,]+ / {
    v = $1; gsub(",", "", v); total += v
    if ($0 ~ /compiler::|turboshaft|maglev|Maglev|Compile|Zone|Scheduler|RegisterAllocat|LinearScan|Instruction|CodeGenerator|Assembler/) jit += v
    else if ($0 ~ /Json/) json += v
    else if ($0 ~ /sqlite3/) sqlite += v
  }
  END {
    printf "instructions per request: %d without JIT compilation (total %d, JIT %d)\n", (total - jit) / n, total / n, jit / n
    printf "  of which JSON.parse/stringify %d, SQLite %d\n", json / n, sqlite / n
  }'
