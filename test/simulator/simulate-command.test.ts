import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

// Runs the command in a child process exactly as the CLI would (signals included), through a
// minimal program so this test does not depend on the rest of the CLI.
const SCRIPT = `
import { Command } from 'commander';
import { registerSimulateCommand } from './dist/src/cli/commands/simulate-command.js';
const program = new Command('tokenmeter');
registerSimulateCommand(program);
await program.parseAsync(process.argv);
`;

test('simulate: prints its URL, serves both APIs, stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, 'tokenmeter', 'simulate', '--port', '0', '--latency-ms', '0', '--seed', '7'], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /tokenmeter simulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${output}`)));
    });
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-demo' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
    });
    assert.equal(chat.status, 200);
    assert.ok(((await chat.json()) as any).usage.prompt_tokens > 0);
    const message = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-demo', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] }),
    });
    assert.equal(message.status, 200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
