import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import type { UsageEvent } from '../../src/core/usage-event.js';
import { registerReportCommand, type LedgerCommandDeps } from '../../src/cli/commands/report-command.js';
import { registerExportCommand } from '../../src/cli/commands/export-command.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { reportToJson } from '../../src/analysis/report-format.js';
import { EXPORT_COLUMNS } from '../../src/analysis/report-export.js';
import { makeEvent } from '../support/make-event.js';

const NOW = Date.UTC(2026, 10, 8, 12);
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-cli-'));
const db = join(dir, 'ledger.db');
const events: UsageEvent[] = [
  makeEvent({ ts: NOW - 2 * HOUR, attribution: { feature: 'chat', tenant: 'acme' } }),
  makeEvent({ ts: NOW - 3 * HOUR, attribution: { feature: 'chat', tenant: 'globex' }, usage: { inputUncached: 5000, cacheRead: 2000 } }),
  makeEvent({ ts: NOW - 4 * HOUR, attribution: { feature: 'search, "beta"', tenant: null }, cost: null, requestedModel: 'mystery', servedModel: null, pricedModel: null }),
  makeEvent({ ts: NOW - 10 * 24 * HOUR, attribution: { feature: 'old' } }),
];

before(async () => {
  const ledger = SqliteLedger.open(db);
  await ledger.append(events);
  await ledger.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs one command in-process, as main.ts would, capturing stdout, stderr and commander's error output. */
async function run(args: string[], extra: LedgerCommandDeps = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const program = new Command('tokenmeter').exitOverride().configureOutput({
    writeOut: (s) => { stdout.text += s; },
    writeErr: (s) => { stderr.text += s; },
  });
  const deps = { stdout, stderr, now: () => NOW, ...extra };
  registerReportCommand(program, deps);
  registerExportCommand(program, deps);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout: stdout.text, stderr: stderr.text, exitCode: 0 };
  } catch (error) {
    if (error instanceof CommanderError) return { stdout: stdout.text, stderr: stderr.text, exitCode: error.exitCode };
    throw error;
  }
}

test('report --json prints exactly the JSON array of the last 7 days by feature', async () => {
  const { stdout, exitCode } = await run(['report', '--db', db, '--json']);
  assert.equal(exitCode, 0);
  const parsed = JSON.parse(stdout) as Array<Record<string, unknown>>;
  const ledger = SqliteLedger.open(db);
  const expected = reportToJson(await ledger.report({ since: NOW - 7 * 24 * HOUR, until: NOW + 1, by: 'feature' }));
  await ledger.close();
  assert.deepEqual(parsed, expected);
  assert.deepEqual(parsed.map((r) => r.key).sort(), ['chat', 'search, "beta"']);
  const search = parsed.find((r) => r.key === 'search, "beta"')!;
  assert.equal(search.cost_usd, null);
  assert.equal(search.unpriced_requests, 1);
});

test('report prints a table with totals and the unpriced note; --by, --since, --limit apply', async () => {
  const table = await run(['report', '--db', db, '--by', 'tenant', '--since', '30d']);
  assert.match(table.stdout, /^Spend by tenant, /);
  assert.match(table.stdout, /acme/);
  assert.match(table.stdout, /\(none\)/);
  assert.match(table.stdout, /Total/);
  assert.match(table.stdout, /used models without a price/);
  const limited = JSON.parse((await run(['report', '--db', db, '--by', 'feature', '--since', '30d', '--limit', '1', '--json'])).stdout);
  assert.equal(limited.length, 1);
  assert.equal(limited[0].key, 'chat', 'largest cost first');
});

test('report --unpriced lists models without a price (JSON with --json)', async () => {
  const { stdout } = await run(['report', '--db', db, '--unpriced', '--json']);
  assert.deepEqual(JSON.parse(stdout), [{ provider: 'openai', model: 'mystery', requests: 1, input_tokens: 1000, output_tokens: 200,
    first_seen: new Date(NOW - 4 * HOUR).toISOString(), last_seen: new Date(NOW - 4 * HOUR).toISOString() }]);
  assert.match((await run(['report', '--db', db, '--unpriced'])).stdout, /mystery/);
});

test('bad --by, --since or --format exits 2 with the valid choices; a missing db exits 1', async () => {
  const by = await run(['report', '--db', db, '--by', 'colour']);
  assert.equal(by.exitCode, 2);
  assert.match(by.stderr, /valid dimensions are feature, tenant, user, team, model, template, task, provider, env, endpoint, day/);
  assert.equal(by.stdout, '');
  assert.equal((await run(['report', '--db', db, '--since', 'yesterday'])).exitCode, 2);
  const format = await run(['export', '--db', db, '--format', 'xml']);
  assert.equal(format.exitCode, 2);
  assert.match(format.stderr, /csv or jsonl/);
  const missing = await run(['report', '--db', join(dir, 'nope', 'x.db')]);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /no ledger database at/);
  assert.equal(existsSync(join(dir, 'nope')), false, 'a read command does not create a database');
});

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  return rows;
}

test('export --format csv streams a header and one quoted row per event, money as exact USD strings', async () => {
  const { stdout, exitCode } = await run(['export', '--db', db, '--format', 'csv']);
  assert.equal(exitCode, 0);
  const [header, ...rows] = parseCsv(stdout);
  assert.deepEqual(header, [...EXPORT_COLUMNS] as string[]);
  assert.equal(rows.length, events.length, 'all time by default');
  const column = (name: string): number => header!.indexOf(name as never);
  const ordered = [...events].sort((a, b) => a.ts - b.ts);
  assert.deepEqual(rows.map((r) => r[column('id')]), ordered.map((e) => e.id));
  const search = rows.find((r) => r[column('feature')] === 'search, "beta"')!;
  assert.equal(search[column('cost_usd')], '');
  const chat = rows.find((r) => r[column('id')] === events[0]!.id)!;
  assert.equal(chat[column('cost_usd')], '0.0045', '1000 in at $2.50/M + 200 out at $10/M');
  const since = await run(['export', '--db', db, '--format', 'csv', '--since', '7d', '--until', '150m']);
  assert.equal(parseCsv(since.stdout).length - 1, 2, '[7d ago, 2.5h ago) holds the events of 3h and 4h ago');
});

test('export --format jsonl --out writes the file atomically and reports on stderr', async () => {
  const out = join(dir, 'export.jsonl');
  const { stdout, stderr, exitCode } = await run(['export', '--db', db, '--format', 'jsonl', '--out', out]);
  assert.equal(exitCode, 0);
  assert.equal(stdout, '');
  assert.match(stderr, /exported 4 events to .*export\.jsonl/);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 4);
  assert.equal(lines.find((l) => l.id === events[0]!.id)!.cost_usd, '0.0045');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.partial-')), []);
});

test('export streams: output starts long before the ledger has yielded every event', async () => {
  const total = 200_000;
  let yielded = 0;
  let yieldedAtFirstWrite = -1;
  const template = makeEvent();
  const ledger = new MemoryLedger();
  ledger.events = async function* () {
    for (let i = 0; i < total; i++) {
      yielded += 1;
      yield { ...template, id: `s-${i}`, ts: i };
    }
  };
  class Probe extends Writable {
    bytes = 0;
    override _write(chunk: Buffer, _e: string, done: () => void): void {
      if (yieldedAtFirstWrite < 0) yieldedAtFirstWrite = yielded;
      this.bytes += chunk.length;
      done();
    }
  }
  const probe = new Probe({ highWaterMark: 16 * 1024 });
  const { exitCode } = await run(['export', '--format', 'jsonl'], { stdout: probe, openLedger: async () => ledger });
  assert.equal(exitCode, 0);
  assert.equal(yielded, total);
  assert.ok(yieldedAtFirstWrite > 0 && yieldedAtFirstWrite < 1_000, `first write after ${yieldedAtFirstWrite} events`);
  assert.ok(probe.bytes > total * 500);
});

test('the built CLI (dist/src/cli/main.js): report --json stdout is pure JSON; bad --by exits 2', async () => {
  const main = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
  const exec = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [main, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
  const ok = await exec(['report', '--db', db, '--since', '2026-01-01', '--until', '2027-01-01', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).length, 3);
  const bad = await exec(['report', '--db', db, '--by', 'colour']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /valid dimensions are/);
});
