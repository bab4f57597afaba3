import { createRandom, hashInts } from './deterministic-hash.js';
import { FAULT_KINDS, type FaultKind, type SimulatorOptions } from './simulator-options.js';

/** Header that forces a fault on one request. */
export const FAULT_HEADER = 'x-simulator-fault';
/** Model-name prefix that forces a fault (reaches the simulator through any gateway, since it is in the body). */
export const FAULT_MODEL_PREFIX = 'sim-fault-';

/** True when `value` names a fault kind. */
export function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

/** Outcome of fault selection: a fault, none, or a header naming no known fault. */
export type FaultChoice = { fault: FaultKind | null; invalidHeader: string | null };

/**
 * Picks the fault for a request: the header wins, then a `sim-fault-<kind>` model, then the
 * configured rates, drawn in arrival order from a PRNG seeded by the options' seed (reproducible runs).
 */
export class FaultInjector {
  private random: () => number;
  private readonly rates: ReadonlyArray<readonly [FaultKind, number]>;

  constructor(private readonly options: Readonly<SimulatorOptions>) {
    this.random = createRandom(hashInts(options.seed, 0xfa017));
    this.rates = FAULT_KINDS.filter((k) => (options.faults[k] ?? 0) > 0).map((k) => [k, options.faults[k]!] as const);
  }

  /** Chooses a fault; `drawRates` is false for routes that only honour forced faults. */
  choose(header: string | string[] | undefined, model: unknown, drawRates: boolean): FaultChoice {
    if (typeof header === 'string' && header.length > 0) {
      const kind = header.trim().toLowerCase();
      return isFaultKind(kind) ? { fault: kind, invalidHeader: null } : { fault: null, invalidHeader: header };
    }
    if (typeof model === 'string' && model.startsWith(FAULT_MODEL_PREFIX)) {
      const kind = model.slice(FAULT_MODEL_PREFIX.length);
      if (isFaultKind(kind)) return { fault: kind, invalidHeader: null };
    }
    if (!drawRates || this.rates.length === 0) return { fault: null, invalidHeader: null };
    let draw = this.random();
    for (const [kind, rate] of this.rates) {
      if (draw < rate) return { fault: kind, invalidHeader: null };
      draw -= rate;
    }
    return { fault: null, invalidHeader: null };
  }

  /** Restarts the draw sequence (Simulator.reset). */
  reset(): void {
    this.random = createRandom(hashInts(this.options.seed, 0xfa017));
  }
}
