import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { registerMigrateCommand } from '../../src/cli/commands/migrate-command.js';
import { registerPruneCommand } from '../../src/cli/commands/prune-command.js';
import { registerRollupsCommand } from '../../src/cli/commands/rollups-command.js';
import { registerExportCommand } from '../../src/cli/commands/export-command.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { openLedger } from '../../src/store/open-ledger.js';
import { makeEvent } from '../support/make-event.js';
import { dropTestSchemas, uniqueSchema, urlWithSchema } from './postgres-test-db.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 20, 12);
const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-maint-cli-'));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropTestSchemas();
});

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) { super(); }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(args: string[], options: { stderrTty?: boolean } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const stdout = new Capture();
  const stderr = new Capture(options.stderrTty ?? false);
  const program = new Command('tokenmeter').exitOverride().configureOutput({
    writeOut: (s) => { stdout.text += s; },
    writeErr: (s) => { stderr.text += s; },
  });
  const deps = { stdout, stderr, now: () => NOW };
  registerMigrateCommand(program, { stdout });
  registerPruneCommand(program, deps);
  registerRollupsCommand(program, deps);
  registerExportCommand(program, deps);
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
    const exitCode = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { stdout: stdout.text, stderr: stderr.text, exitCode };
  } catch (error) {
    if (error instanceof CommanderError) return { stdout: stdout.text, stderr: stderr.text, exitCode: error.exitCode };
    throw error;
  }
}

/** Events over the 30 days before NOW, one every 6 hours. */
const events = Array.from({ length: 120 }, (_, i) => makeEvent({ ts: NOW - 30 * DAY + i * 6 * 3_600_000, attribution: { feature: i % 2 ? 'a' : 'b' } }));

for (const engine of ['sqlite', 'postgres'] as const) {
  test(`${engine}: migrate, rollups check/rebuild and prune from the CLI`, async () => {
    const location = engine === 'sqlite' ? ['--db', join(dir, 'cli.db')] : ['--database-url', urlWithSchema(uniqueSchema())];
    const migrated = await run(['migrate', ...location]);
    assert.equal(migrated.exitCode, 0);
    assert.match(migrated.stdout, engine === 'sqlite' ? /SQLite .*cli\.db: schema version 4 \(newest this build knows: 4\)/ : /Postgres .*: schema version 4 \(newest this build knows: 4\)/);
    const ledger = await openLedger(engine === 'sqlite' ? { db: location[1] } : { databaseUrl: location[1] });
    await ledger.append(events);

    const check = await run(['rollups', 'check', '--since', '40d', ...location]);
    assert.equal(check.exitCode, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /120 raw events, \d+ rollup rows, all equal/);
    const table = engine === 'sqlite' ? (ledger as SqliteLedger).db.prepare("UPDATE usage_rollups SET errors = errors + 2 WHERE dimension = '*' AND span_ms = 86400000 AND bucket_start = ?")
      : null;
    const corruptDay = NOW - 10 * DAY - ((NOW - 10 * DAY) % DAY);
    if (table) table.run(corruptDay);
    else await (ledger as any).pool.query("UPDATE usage_rollups SET errors = errors + 2 WHERE dimension = '*' AND span_ms = 86400000 AND bucket_start = $1", [corruptDay]);
    const broken = await run(['rollups', 'check', '--since', '40d', ...location]);
    assert.equal(broken.exitCode, 3);
    assert.match(broken.stdout, /1 differ\n {2}day \S+ \*=\(none\): errors expected 0, stored 2/);
    const rebuilt = await run(['rollups', 'rebuild', '--since', '12d', '--json', ...location]);
    assert.equal(JSON.parse(rebuilt.stdout).events, 50, "whole days from Nov 8 to now");
    assert.equal((await run(['rollups', 'check', '--since', '40d', ...location])).exitCode, 0);

    const refused = await run(['prune', ...location]);
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, /nothing to prune/);
    const config = join(dir, `retention-${engine}.yaml`);
    writeFileSync(config, 'retention:\n  rawDays: 20\n  rollupDays: 25\n');
    const pruned = await run(['prune', '--config', config, '--json', ...location]);
    assert.equal(pruned.exitCode, 0, pruned.stderr);
    const result = JSON.parse(pruned.stdout);
    assert.equal(result.raw_before, '2026-10-31');
    assert.equal(result.rollups_before, '2026-10-26');
    assert.equal(result.events_deleted, 4 * 10 - 2, 'whole days before Oct 31');
    assert.ok(result.rollup_rows_deleted > 0);
    assert.equal(await ledger.count({ since: 0, until: NOW }), 120 - result.events_deleted);
    const flags = await run(['prune', '--older-than', '10d', ...location]);
    assert.match(flags.stdout, /deleted 40 raw events before 2026-11-10 \(UTC\)/);
    assert.equal((await run(['rollups', 'check', '--since', '40d', ...location])).exitCode, 0);
    const wrongOrder = await run(['prune', '--older-than', '30d', '--rollups-older-than', '10d', ...location]);
    assert.equal(wrongOrder.exitCode, 2);
    await ledger.close();
  });
}

test('export draws a progress bar on a terminal stderr for large exports only', async () => {
  const file = join(dir, 'export.db');
  const ledger = SqliteLedger.open(file);
  await ledger.append(Array.from({ length: 12_345 }, (_, i) => makeEvent({ ts: NOW - DAY + i })));
  await ledger.close();
  const out = join(dir, 'out.jsonl');
  const tty = await run(['export', '--format', 'jsonl', '--db', file, '--out', out], { stderrTty: true });
  assert.equal(tty.exitCode, 0);
  assert.match(tty.stderr, /\rexporting \[#+-*\] \d+\/12345/);
  assert.match(tty.stderr, /exporting \[#{30}\] 12345\/12345\n/);
  assert.equal(readFileSync(out, 'utf8').split('\n').length - 1, 12_345);
  const piped = await run(['export', '--format', 'jsonl', '--db', file, '--out', out]);
  assert.equal(piped.stderr, 'exported 12,345 events to ' + out + '\n', 'no bar when stderr is not a terminal');
});
