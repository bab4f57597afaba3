import OpenAI from 'openai';

/** Runs `count` jobs with at most `concurrency` in flight; resolves every job's result in order. */
export async function runConcurrently<T>(count: number, concurrency: number, job: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await job(index);
    }
  }));
  return results;
}

/** Outcome of one SDK call: which replica took it, whether it succeeded, and when the answer arrived. */
export interface CallOutcome {
  id: string;
  replica: number;
  ok: boolean;
  doneAt: number;
}

/**
 * One chat completion through the official SDK, tagged with a unique task id so the ledger row can be
 * matched to it (x-tokenmeter-task). No SDK retries: a call lands on exactly one replica.
 */
export async function taggedCall(client: OpenAI, replica: number, id: string): Promise<CallOutcome> {
  try {
    await client.chat.completions.create(
      { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `request ${id}` }] },
      { headers: { 'x-tokenmeter-task': id, 'x-tokenmeter-feature': `replica-${replica}`, 'x-tokenmeter-tenant': `t${id.length % 3}` } },
    );
    return { id, replica, ok: true, doneAt: Date.now() };
  } catch {
    return { id, replica, ok: false, doneAt: Date.now() };
  }
}

/** An SDK client for a gateway URL (no retries). */
export function sdkClient(gatewayUrl: string): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: `${gatewayUrl}/v1`, maxRetries: 0, timeout: 20_000 });
}
