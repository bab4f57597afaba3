import Anthropic from '@anthropic-ai/sdk';
import { encode, encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import type { Simulator } from '../../src/simulator/index.js';

/** An official OpenAI client pointed at the simulator (no retries, so errors surface as-is). */
export function openAiClient(sim: Simulator, options: { timeout?: number; apiKey?: string } = {}): OpenAI {
  // logLevel off: fault tests break streams on purpose and the SDKs would log each parse failure.
  return new OpenAI({ apiKey: options.apiKey ?? 'sk-test-key', baseURL: `${sim.url}/v1`, maxRetries: 0, timeout: options.timeout ?? 10_000, logLevel: 'off' });
}

/** An official Anthropic client pointed at the simulator (no retries). */
export function anthropicClient(sim: Simulator, options: { timeout?: number } = {}): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test-key', baseURL: sim.url, maxRetries: 0, timeout: options.timeout ?? 10_000, logLevel: 'off' });
}

/** Independent OpenAI prompt count: gpt-tokenizer's own chat encoding (o200k, gpt-4o framing). */
export function chatPromptTokens(messages: Array<{ role: string; content: string }>): number {
  return encodeChat(messages as Parameters<typeof encodeChat>[0], 'gpt-4o').length;
}

/** Independent o200k count of plain text. */
export function textTokens(text: string): number {
  return encode(text).length;
}

/**
 * Independent Anthropic prompt count following the simulator's documented formula:
 * system tokens + per message (3 + content tokens), string contents only.
 */
export function anthropicPromptTokens(system: string | null, messages: Array<{ role: string; content: string }>): number {
  return (system === null ? 0 : textTokens(system)) + messages.reduce((sum, m) => sum + 3 + textTokens(m.content), 0);
}

/** A deterministic document of roughly `approxTokens` tokens (distinct clauses, so no degenerate merges). */
export function longDocument(approxTokens: number, topic = 'supplier'): string {
  const clauses: string[] = [];
  for (let i = 0; clauses.length * 14 < approxTokens; i++) {
    clauses.push(`Clause ${i}: the ${topic} shall deliver item ${i * 7} to depot ${i % 13} before day ${i % 28}.`);
  }
  return clauses.join(' ');
}

/** Raw POST with JSON, for wire-level assertions the SDKs would hide. */
export async function rawPost(sim: Simulator, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(sim.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Headers an OpenAI client sends. */
export const OPENAI_HEADERS = { authorization: 'Bearer sk-test-key' };
/** Headers an Anthropic client sends. */
export const ANTHROPIC_HEADERS = { 'x-api-key': 'sk-ant-test-key', 'anthropic-version': '2023-06-01' };

/** Splits an SSE body into events: `{event, data}` with `event` null when unnamed. */
export function parseSse(body: string): Array<{ event: string | null; data: string }> {
  const events: Array<{ event: string | null; data: string }> = [];
  for (const block of body.split('\n\n')) {
    if (block.trim() === '') continue;
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
      else throw new Error(`unexpected SSE line: ${JSON.stringify(line)}`);
    }
    events.push({ event, data: data.join('\n') });
  }
  return events;
}
