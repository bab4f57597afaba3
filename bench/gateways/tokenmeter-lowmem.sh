# Gateway spec: tokenmeter exactly as bench/gateways/tokenmeter.sh, started with the V8 flags the README
# recommends where memory matters (TOKENMETER_LOWMEM_FLAGS, default below): a 4 MiB semi-space and a heap
# that grows by 40 % instead of V8's adaptive factor (up to 4x on a machine with plenty of RAM). V8 reads
# these only at process start, so they are a launch decision (NODE_OPTIONS or node's command line).
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/tokenmeter.sh"
GW_NAME=tokenmeter-lowmem
GW_PORT=${GW_PORT_LOWMEM:-18791}
TOKENMETER_NODE_OPTIONS="${TOKENMETER_LOWMEM_FLAGS:---max-semi-space-size=4 --heap-growing-percent=40} ${TOKENMETER_NODE_OPTIONS:-}"
