export { startSimulator, type Simulator, type SimulatorListenOptions } from './simulator-server.js';
export {
  DEFAULT_ANTHROPIC_CACHE_MIN_TOKENS,
  DEFAULT_SIMULATOR_OPTIONS,
  FAULT_KINDS,
  resolveSimulatorOptions,
  type FaultKind,
  type SimulatorOptions,
} from './simulator-options.js';
export type { SimulatorRequestRecord, SimulatorStats } from './simulator-stats.js';
export { FAULT_HEADER, FAULT_MODEL_PREFIX } from './fault-injector.js';
export { MESSAGE_OVERHEAD_TOKENS } from './anthropic-prompt.js';
