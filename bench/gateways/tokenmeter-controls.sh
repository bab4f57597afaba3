# Gateway spec: tokenmeter with spend controls on (issue 4 benchmark): a global and a per-tenant budget,
# a per-tenant rate limit (requests, input tokens and $/min) and a task loop cap, all with limits high
# enough that nothing is refused, so the run measures the cost of reserving and settling every call.
# Counters in memory; see tokenmeter-controls-redis.sh for the shared Redis counters.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/tokenmeter.sh"
GW_NAME=${GW_NAME_OVERRIDE:-tokenmeter-controls}
GW_PORT=${GW_PORT_CONTROLS:-18790}
TOKENMETER_EXTRA_ARGS=${TOKENMETER_EXTRA_ARGS:-}

gw_start() {
  local dir="$SCRATCH/$GW_NAME"
  mkdir -p "$dir"
  local db="$dir/ledger.db"
  rm -f "$db" "$db-wal" "$db-shm"
  cat >"$dir/tokenmeter.yaml" <<YAML
counters:
  prefix: "tokenmeter-bench:$$:"
budgets:
  - { id: global, scope: { kind: global }, limitUsd: "9000", window: { period: month } }
  - { id: per-tenant, scope: { kind: tenant }, limitUsd: "5000", window: { period: day } }
rateLimits:
  - { id: per-tenant-rate, scope: { kind: tenant }, requestsPerMinute: 100000000, inputTokensPerMinute: 2000000000, usdPerMinute: "9000" }
caps:
  tasks:
    - { id: loop, maxCalls: 100000000 }
YAML
  cd "$dir" || return 1
  # shellcheck disable=SC2086
  TOKENMETER_LOG=${TOKENMETER_LOG:-warn} exec node ${TOKENMETER_NODE_OPTIONS:-} "$TOKENMETER_ROOT/dist/src/cli/main.js" start \
    --host 127.0.0.1 --port "$GW_PORT" --db "$db" --config "$dir/tokenmeter.yaml" \
    --openai-url "$UPSTREAM_BASE" --anthropic-url "${UPSTREAM_BASE%/v1}" $TOKENMETER_EXTRA_ARGS
}

gw_headers() {
  printf '%s\n' \
    'Authorization: Bearer sk-bench' \
    'x-tokenmeter-feature: bench' \
    'x-tokenmeter-tenant: t1' \
    'x-tokenmeter-task: bench-task'
}
