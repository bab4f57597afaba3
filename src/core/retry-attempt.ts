/** Header the official OpenAI and Anthropic SDKs send on every attempt: 0 first, then 1, 2, ... */
export const SDK_RETRY_COUNT_HEADER = 'x-stainless-retry-count';

/** Highest attempt number believed from a header (a bogus value must not inflate retry counts). */
const MAX_ATTEMPT = 100;

type HeaderSource =
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

/**
 * The attempt number a request says it is (1 = first try), from the SDKs' `x-stainless-retry-count`
 * header (retry count + 1). Missing, negative or non-integer values mean a first attempt.
 */
export function attemptFromHeaders(headers: HeaderSource): number {
  const raw = typeof headers.get === 'function'
    ? (headers as { get(name: string): string | null }).get(SDK_RETRY_COUNT_HEADER)
    : (headers as Record<string, string | string[] | undefined>)[SDK_RETRY_COUNT_HEADER];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text == null) return 1;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 0) return 1;
  return Math.min(count, MAX_ATTEMPT - 1) + 1;
}
