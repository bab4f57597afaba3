import type { Command } from 'commander';
import { rmSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import { startGateway } from '../../gateway/start-gateway.js';
import { createLogger } from '../../gateway/logger.js';
import { openLedger } from '../../store/open-ledger.js';
import { reportToTable } from '../../analysis/report-format.js';
import { buildDemoTraffic, type DemoRequest } from '../demo-traffic.js';
import { parsePositiveInt } from '../cli-parsers.js';
import { ProgressBar } from '../progress-bar.js';

/** `tokenmeter demo`: simulator + gateway + a realistic traffic mix, then the report. Needs no keys. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the provider simulator and the gateway, drive a realistic traffic mix, and print the cost report')
    .option('--requests <n>', 'how many calls to make', parsePositiveInt, 60)
    .option('--concurrency <n>', 'calls in flight at once', parsePositiveInt, 6)
    .option('--db <path>', 'ledger file for the demo (recreated each run)', './.tokenmeter/demo.db')
    .action(async (options: { requests: number; concurrency: number; db: string }) => {
      const dbPath = resolve(options.db);
      for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
      mkdirSync(dirname(dbPath), { recursive: true });
      // Loaded here so other commands (start, report) never pay for the simulator's tokenizer.
      const { startSimulator } = await import('../../simulator/index.js');
      const simulator = await startSimulator({ port: 0, ttftMs: 15, interChunkMs: 1, seed: 7 });
      // The demo's own setup: a tokenmeter.yaml in the working directory (keys, budgets) must not change it.
      const config = loadConfig(null, { port: 0, db: dbPath, openaiUrl: `${simulator.url}/v1`, anthropicUrl: simulator.url }, {});
      // The simulator accepts any key; the gateway holds these so the demo needs none from you.
      const gateway = await startGateway(config, {
        log: createLogger(process.env.TOKENMETER_LOG ?? 'warn'),
        env: { OPENAI_API_KEY: 'sk-demo-simulator', ANTHROPIC_API_KEY: 'sk-ant-demo-simulator' },
      });
      process.stderr.write(`simulator on ${simulator.url}, gateway on ${gateway.url}\n`);
      const traffic = buildDemoTraffic(options.requests);
      const started = Date.now();
      const progress = new ProgressBar('demo traffic', traffic.length, process.stderr);
      let failures = 0;
      let next = 0;
      const worker = async () => {
        while (next < traffic.length) {
          const request = traffic[next++]!;
          if (!(await send(gateway.url, request))) failures++;
          progress.tick();
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      progress.done();
      await gateway.close();
      await simulator.close();
      const ledger = await openLedger({ db: dbPath });
      try {
        const range = { since: started - 60_000, until: Date.now() + 60_000 };
        for (const by of ['feature', 'model', 'tenant'] as const) {
          const rows = await ledger.report({ ...range, by });
          process.stdout.write(`\nCost by ${by}\n${reportToTable(rows, by)}\n`);
        }
        process.stdout.write(
          `\n${traffic.length - failures} of ${traffic.length} calls succeeded; every call is in the ledger at ${dbPath}\n` +
            `Try: npx tokenmeter report --db ${options.db} --by task\n` +
            `     npx tokenmeter export --db ${options.db} --format csv\n` +
            `Run the gateway for your own app: npx tokenmeter start   (then set your client's baseURL to http://127.0.0.1:4000/v1)\n`,
        );
      } finally {
        await ledger.close();
      }
    });
}

async function send(baseUrl: string, request: DemoRequest): Promise<boolean> {
  const anthropic = request.path === '/v1/messages';
  const response = await fetch(baseUrl + request.path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(anthropic ? { 'anthropic-version': '2023-06-01' } : {}),
      ...request.headers,
    },
    body: JSON.stringify(request.body),
  });
  await response.arrayBuffer();
  return response.ok;
}
