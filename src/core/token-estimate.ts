/**
 * Rough token count from a character count (chars / 4, rounded up): cheap enough for every request.
 * The exact o200k count, for the rare paths that need it, is `estimateTokens` in src/providers/token-count.ts.
 */
export function estimateTokensFast(chars: number): number {
  return chars > 0 ? Math.ceil(chars / 4) : 0;
}
