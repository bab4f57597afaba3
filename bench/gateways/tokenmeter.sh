# Gateway spec for ../shared/bench/run-peer.sh (contract in ../shared/bench/gateways/portkey.sh):
# tokenmeter with full accounting on (the default): body parse, usage parse, pricing, attribution,
# one ledger event per call into a throwaway SQLite file under $SCRATCH.
#
#   npm run build && bash ../shared/bench/run-peer.sh bench/gateways/tokenmeter.sh
#
# Env: TOKENMETER_ROOT (repo root; default: two folders above this file), GW_PORT (18789),
#      TOKENMETER_NODE_OPTIONS (extra node flags for the gateway, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
TOKENMETER_ROOT=${TOKENMETER_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GW_NAME=tokenmeter
GW_PORT=${GW_PORT:-18789}
GW_PATH=/v1/chat/completions
GW_STREAMING=1
GW_VERSION="$(node -p "require('$TOKENMETER_ROOT/package.json').version" 2>/dev/null || echo unknown) ($(git -C "$TOKENMETER_ROOT" rev-parse --short HEAD 2>/dev/null || echo no-git)$(git -C "$TOKENMETER_ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty'))"

gw_install() {
  # The repo is built by `npm run build` (npm run bench does it first); nothing is installed elsewhere.
  if [ ! -f "$TOKENMETER_ROOT/dist/src/cli/main.js" ]; then
    echo "tokenmeter is not built: run 'npm run build' in $TOKENMETER_ROOT first" >&2
    return 1
  fi
  mkdir -p "$SCRATCH/tokenmeter"
}

gw_start() {
  local db="$SCRATCH/tokenmeter/ledger.db"
  rm -f "$db" "$db-wal" "$db-shm"
  # Run from the scratch folder so no tokenmeter.yaml in the caller's directory changes the setup.
  cd "$SCRATCH/tokenmeter" || return 1
  # shellcheck disable=SC2086 # TOKENMETER_NODE_OPTIONS is a list of flags
  TOKENMETER_LOG=${TOKENMETER_LOG:-warn} exec node ${TOKENMETER_NODE_OPTIONS:-} "$TOKENMETER_ROOT/dist/src/cli/main.js" start \
    --host 127.0.0.1 --port "$GW_PORT" --db "$db" \
    --openai-url "$UPSTREAM_BASE" --anthropic-url "${UPSTREAM_BASE%/v1}"
}

gw_headers() {
  # Attribution headers are read (and stripped) by the gateway; the key is passed through to the mock.
  printf '%s\n' \
    'Authorization: Bearer sk-bench' \
    'x-tokenmeter-feature: bench' \
    'x-tokenmeter-tenant: t1'
}
