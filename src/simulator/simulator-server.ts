import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatorEngine } from './simulator-engine.js';
import { resolveSimulatorOptions, type SimulatorOptions } from './simulator-options.js';
import type { SimulatorStats } from './simulator-stats.js';

/** A running simulator. */
export interface Simulator {
  /** Base URL without a path, e.g. `http://127.0.0.1:9000` (OpenAI clients append `/v1`). */
  readonly url: string;
  readonly port: number;
  /** Counters and the recent requests received (what a gateway sent upstream). */
  stats(): SimulatorStats;
  /** Clears stats, prompt caches, stored responses and restarts the fault sequence. */
  reset(): void;
  /** Stops listening and drops every connection, including requests held by `timeout` faults. */
  close(): Promise<void>;
}

/** Where to listen, beside the behaviour options. */
export interface SimulatorListenOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface; default 127.0.0.1. */
  host?: string;
}

/** Starts a simulator of the OpenAI and Anthropic HTTP APIs; resolves once it is listening. */
export async function startSimulator(options: Partial<SimulatorOptions> & SimulatorListenOptions = {}): Promise<Simulator> {
  const { port = 0, host = '127.0.0.1', ...behaviour } = options;
  const engine = new SimulatorEngine(resolveSimulatorOptions(behaviour));
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => engine.handle(req, res));
  // Clients and gateways pool connections; keep them longer than typical client idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    stats: () => engine.snapshot(),
    reset: () => engine.reset(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
