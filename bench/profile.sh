#!/usr/bin/env bash
# CPU profile of the gateway under load: the shared mock upstream (cpu 0) + tokenmeter under
# `node --cpu-prof` (cpu 1) + wrk (cpu 0) at one load level, then a self/inclusive time summary.
#
#   npm run build && bash bench/profile.sh            # JSON, 16 connections, 15 s
#   MODE=stream CONNS=16 DURATION=10 bash bench/profile.sh
#
# Env: MODE=json|stream CONNS=16 DURATION=15 WARMUP=3 MOCK_PORT=18181 GW_PORT=18791
#      TOKENMETER_SHARED_BENCH (default ../shared/bench)  PROF_DIR (default bench/out/profile-<time>)
#      GW_SPEC (default bench/gateways/tokenmeter.sh; any run-peer.sh spec whose gw_start honours TOKENMETER_NODE_OPTIONS)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${TOKENMETER_SHARED_BENCH:-$ROOT/../shared/bench}
if [ ! -f "$SHARED/mock-upstream.mjs" ]; then echo "shared bench not found at $SHARED; nothing to profile against" >&2; exit 0; fi
SHARED=$(cd "$SHARED" && pwd)
MODE=${MODE:-json} CONNS=${CONNS:-16} DURATION=${DURATION:-15} WARMUP=${WARMUP:-3}
export MOCK_PORT=${MOCK_PORT:-18181} GW_PORT=${GW_PORT:-18791}
export SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/tokenmeter-profile} BENCH_DIR=$SHARED TOKENMETER_ROOT=$ROOT
export UPSTREAM_BASE="http://127.0.0.1:$MOCK_PORT/v1"
PROF_DIR=${PROF_DIR:-$ROOT/bench/out/profile-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$PROF_DIR" "$SCRATCH"
PROF_DIR=$(cd "$PROF_DIR" && pwd)
# shellcheck source=/dev/null
source "${GW_SPEC:-$ROOT/bench/gateways/tokenmeter.sh}"
export TOKENMETER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=$PROF_DIR ${TOKENMETER_NODE_OPTIONS:-}"

MOCK_PID="" GW_PID=""
cleanup() { for p in $GW_PID $MOCK_PID; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
node "$SHARED/make-body.mjs" "$SCRATCH/bodies" >/dev/null
gw_install
taskset -c 0 node "$SHARED/mock-upstream.mjs" >"$PROF_DIR/mock.log" 2>&1 &
MOCK_PID=$!
(taskset -pc 1 "$BASHPID" >/dev/null && gw_start) >"$PROF_DIR/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$GW_PORT/" && curl -s -o /dev/null "http://127.0.0.1:$MOCK_PORT/health" && break; sleep 0.1; done
body=$SCRATCH/bodies/chat.json; [ "$MODE" = stream ] && body=$SCRATCH/bodies/chat-stream.json
url="http://127.0.0.1:$GW_PORT$GW_PATH"
export BODY_FILE=$body WRK_HEADERS; WRK_HEADERS=$(gw_headers)
taskset -c 0 wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s "$SHARED/chat.lua" "$url" >/dev/null
t0=$(sed 's/.*) //' "/proc/$GW_PID/stat" | awk '{print $12 + $13}')
taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$SHARED/chat.lua" "$url" | tee "$PROF_DIR/wrk.txt" | grep -E 'Requests/sec|^RESULT' >&2
t1=$(sed 's/.*) //' "/proc/$GW_PID/stat" | awk '{print $12 + $13}')
req=$(grep '^RESULT' "$PROF_DIR/wrk.txt" | sed 's/.*"requests":\([0-9]*\).*/\1/')
echo "gateway CPU per request (profiler on, so inflated): $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / req )) µs" >&2
kill -TERM "$GW_PID"; for _ in $(seq 100); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done; GW_PID=""
prof=$(ls -t "$PROF_DIR"/*.cpuprofile | head -1)
node "$ROOT/bench/cpuprofile-top.mjs" "$prof" | tee "$PROF_DIR/summary.txt"
echo "profile: $prof (open in Chrome DevTools > Performance, or speedscope)" >&2
