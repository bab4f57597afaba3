import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { startGateway, type RunningGateway } from '../../src/gateway/start-gateway.js';
import { createLogger } from '../../src/gateway/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import type { UsageEvent } from '../../src/core/usage-event.js';

/** A simulator + gateway pair on free ports with a throwaway SQLite ledger. */
export interface Stack {
  sim: Simulator;
  gateway: RunningGateway;
  dbPath: string;
  /** Base URL for the openai SDK (`.../v1`). */
  openaiBase: string;
  /** Base URL for the anthropic SDK. */
  anthropicBase: string;
  /** Flushes the writer and returns every ledger event in time order. */
  events(): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

export interface StackOptions {
  simulator?: Partial<SimulatorOptions>;
  /** Extra tokenmeter.yaml content, written to a temp file. */
  configYaml?: string;
  env?: NodeJS.ProcessEnv;
  openaiUrl?: string;
}

/** Starts a stack; always `await stack.close()` in a finally/after hook. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-test-'));
  const dbPath = join(dir, 'ledger.db');
  const sim = await startSimulator({ port: 0, ...options.simulator });
  let configFile: string | undefined;
  if (options.configYaml) {
    configFile = join(dir, 'tokenmeter.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(configFile, options.configYaml);
  }
  const config = loadConfig(configFile ?? null, { port: 0, db: dbPath, openaiUrl: options.openaiUrl ?? `${sim.url}/v1`, anthropicUrl: sim.url }, {});
  const gateway = await startGateway(config, { log: createLogger('silent'), env: options.env ?? {} });
  return {
    sim,
    gateway,
    dbPath,
    openaiBase: `${gateway.url}/v1`,
    anthropicBase: gateway.url,
    async events() {
      await gateway.writer.flush();
      const out: UsageEvent[] = [];
      for await (const event of gateway.ledger.events({ since: 0, until: Date.now() + 60_000 })) out.push(event);
      return out;
    },
    async close() {
      await gateway.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` passes or the time is up (for events recorded after a response ends). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
