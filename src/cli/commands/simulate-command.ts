import { InvalidArgumentError, type Command } from 'commander';
import type { SimulatorOptions } from '../../simulator/index.js';
import { parsePort } from '../cli-parsers.js';

const DEFAULT_PORT = 9000;
// Realistic pacing for demos: ~0.4 s to first token, ~50 tokens/s after.
const DEMO_TTFT_MS = 400;
const DEMO_INTER_CHUNK_MS = 20;

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a number >= 0`);
  return n;
}

function parseRate(value: string): number {
  const n = parseNonNegative(value);
  if (n > 1) throw new InvalidArgumentError(`"${value}" is not a rate between 0 and 1`);
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return n;
}

/** Maps the CLI's single fault rate onto kinds: half rate limits, the rest server errors and overload. */
function spreadFaultRate(rate: number): SimulatorOptions['faults'] {
  if (rate === 0) return {};
  return { '429': rate / 2, '500': rate / 4, '529': rate / 4 };
}

/** `tokenmeter simulate`: serves the OpenAI and Anthropic API simulator until SIGINT/SIGTERM. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a wire-faithful OpenAI + Anthropic API simulator (streaming, prompt caching, faults) for demos and load tests')
    .option('-p, --port <port>', `port to listen on (default ${DEFAULT_PORT})`, parsePort)
    .option('-H, --host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--latency-ms <ms>', `time to first token; 0 also removes pacing between chunks (default ${DEMO_TTFT_MS}, ${DEMO_INTER_CHUNK_MS} ms between chunks)`, parseNonNegative)
    .option('--fault-rate <rate>', 'fraction of generation requests that fail: half 429, a quarter 500, a quarter 529 (default 0)', parseRate)
    .option('--seed <n>', 'seed for answers and fault draws (default 42)', parseSeed)
    .option('--no-auth', 'accept requests without an API key')
    .action(async (options: { port?: number; host?: string; latencyMs?: number; faultRate?: number; seed?: number; auth: boolean }) => {
      const ttftMs = options.latencyMs ?? DEMO_TTFT_MS;
      const { startSimulator } = await import('../../simulator/index.js');
      const simulator = await startSimulator({
        port: options.port ?? DEFAULT_PORT,
        host: options.host ?? '127.0.0.1',
        ttftMs,
        interChunkMs: ttftMs === 0 ? 0 : DEMO_INTER_CHUNK_MS,
        faults: spreadFaultRate(options.faultRate ?? 0),
        seed: options.seed,
        requireAuth: options.auth,
      });
      process.stdout.write(`tokenmeter simulator listening on ${simulator.url}\n`);
      process.stdout.write(`  OpenAI:    ${simulator.url}/v1  (chat/completions, responses, embeddings, models)\n`);
      process.stdout.write(`  Anthropic: ${simulator.url}  (v1/messages, v1/messages/count_tokens)\n`);
      process.stdout.write('  force a fault per request with header x-simulator-fault: 429|500|503|529|timeout|reset|malformed-sse|error-event\n');
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const stats = simulator.stats();
        process.stderr.write(`tokenmeter simulator: ${signal} received, stopping after ${stats.requests} requests\n`);
        simulator.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
