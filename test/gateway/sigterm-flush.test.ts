import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/simulator/index.js';
import { openLedger } from '../../src/store/open-ledger.js';

test('SIGTERM under load: every call that reached the provider is in the ledger', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-sigterm-'));
  const db = join(dir, 'ledger.db');
  const sim = await startSimulator({ port: 0, ttftMs: 5, interChunkMs: 1 });
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--port', '0', '--db', db, '--openai-url', `${sim.url}/v1`, '--anthropic-url', sim.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TOKENMETER_LOG: 'silent' },
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /tokenmeter listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited early (${code})`)));
    });
    const okIds: string[] = [];
    let sent = 0;
    let stopAt = 150;
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const worker = async () => {
      while (sent < 400) {
        sent++;
        try {
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
            body: JSON.stringify({ model: 'gpt-4o-mini', stream: sent % 2 === 0, messages: [{ role: 'user', content: `request ${sent}` }] }),
          });
          await response.arrayBuffer();
          if (response.ok) okIds.push(response.headers.get('x-tokenmeter-request-id')!);
        } catch {
          return; // the gateway stopped accepting: this worker is done
        }
        if (okIds.length === stopAt) {
          stopAt = -1;
          child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(await exited, 0, 'the gateway exits cleanly after SIGTERM');
    const ledger = await openLedger({ db });
    const ids = new Set<string>();
    for await (const event of ledger.events({ since: 0, until: Date.now() + 1000 })) ids.add(event.id);
    await ledger.close();
    const upstreamCalls = sim.stats().byRoute['openai.chat'] ?? 0;
    assert.ok(okIds.length >= 150, `${okIds.length} responses before and during shutdown`);
    for (const id of okIds) assert.ok(ids.has(id), `answered call ${id} is in the ledger`);
    assert.equal(ids.size, upstreamCalls, 'one ledger event per upstream call, none lost');
  } finally {
    child.kill('SIGKILL');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
