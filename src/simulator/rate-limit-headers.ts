// Rate-limit headers are reported, never enforced (forced 429s come from the fault injector).
// Usage drains a token bucket that refills linearly over a minute, which yields the small,
// moving reset durations real responses carry ("6ms", "1.2s").

const MINUTE_MS = 60_000;

class Bucket {
  private used = 0;
  private at = 0;

  constructor(readonly limit: number) {}

  /** Consumes `amount`, returns [remaining, ms until fully refilled]. */
  take(now: number, amount: number): [number, number] {
    const refill = ((now - this.at) * this.limit) / MINUTE_MS;
    this.used = Math.max(0, this.used - refill) + amount;
    this.at = now;
    const used = Math.min(this.used, this.limit);
    return [Math.max(0, Math.floor(this.limit - used)), Math.ceil((used * MINUTE_MS) / this.limit)];
  }
}

/** Go-style duration as OpenAI prints it: `12ms`, `1s`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = ms / 1000;
  if (totalSeconds < 60) return `${trimDecimals(totalSeconds)}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${minutes}m${trimDecimals(totalSeconds - minutes * 60)}s`;
}

function trimDecimals(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** RFC 3339 at whole seconds, as Anthropic's `*-reset` headers carry. */
function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Per-provider request and token buckets rendered as response headers. */
export class RateLimitTracker {
  private readonly requests: Bucket;
  private readonly tokens: Bucket;
  private readonly inputTokens: Bucket;
  private readonly outputTokens: Bucket;

  constructor(limits: Readonly<{ requestsPerMinute: number; tokensPerMinute: number }>) {
    this.requests = new Bucket(limits.requestsPerMinute);
    this.tokens = new Bucket(limits.tokensPerMinute);
    this.inputTokens = new Bucket(limits.tokensPerMinute);
    this.outputTokens = new Bucket(Math.max(1, Math.floor(limits.tokensPerMinute / 5)));
  }

  /** OpenAI `x-ratelimit-*` headers after a request of `inputTokens` + `outputTokens`. */
  openAi(now: number, inputTokens: number, outputTokens: number): Record<string, string> {
    const [requestsLeft, requestsReset] = this.requests.take(now, 1);
    const [tokensLeft, tokensReset] = this.tokens.take(now, inputTokens + outputTokens);
    return {
      'x-ratelimit-limit-requests': String(this.requests.limit),
      'x-ratelimit-limit-tokens': String(this.tokens.limit),
      'x-ratelimit-remaining-requests': String(requestsLeft),
      'x-ratelimit-remaining-tokens': String(tokensLeft),
      'x-ratelimit-reset-requests': formatResetDuration(requestsReset),
      'x-ratelimit-reset-tokens': formatResetDuration(tokensReset),
    };
  }

  /** Anthropic `anthropic-ratelimit-*` headers (token remainders rounded to the thousand). */
  anthropic(now: number, inputTokens: number, outputTokens: number): Record<string, string> {
    const [requestsLeft, requestsReset] = this.requests.take(now, 1);
    const [inputLeft, inputReset] = this.inputTokens.take(now, inputTokens);
    const [outputLeft, outputReset] = this.outputTokens.take(now, outputTokens);
    const thousands = (n: number) => String(Math.round(n / 1000) * 1000);
    const tokensLeft = Math.min(inputLeft, outputLeft);
    return {
      'anthropic-ratelimit-requests-limit': String(this.requests.limit),
      'anthropic-ratelimit-requests-remaining': String(requestsLeft),
      'anthropic-ratelimit-requests-reset': rfc3339(now + requestsReset),
      'anthropic-ratelimit-tokens-limit': String(Math.min(this.inputTokens.limit, this.outputTokens.limit)),
      'anthropic-ratelimit-tokens-remaining': thousands(tokensLeft),
      'anthropic-ratelimit-tokens-reset': rfc3339(now + Math.max(inputReset, outputReset)),
      'anthropic-ratelimit-input-tokens-limit': String(this.inputTokens.limit),
      'anthropic-ratelimit-input-tokens-remaining': thousands(inputLeft),
      'anthropic-ratelimit-input-tokens-reset': rfc3339(now + inputReset),
      'anthropic-ratelimit-output-tokens-limit': String(this.outputTokens.limit),
      'anthropic-ratelimit-output-tokens-remaining': thousands(outputLeft),
      'anthropic-ratelimit-output-tokens-reset': rfc3339(now + outputReset),
    };
  }
}
