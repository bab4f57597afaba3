# Gateway spec: tokenmeter-controls.sh with the counters in Redis (127.0.0.1:6379), as N replicas would run.
GW_NAME_OVERRIDE=tokenmeter-controls-redis
GW_PORT_CONTROLS=18791
TOKENMETER_EXTRA_ARGS="--redis-url ${TOKENMETER_BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/tokenmeter-controls.sh"
