/**
 * Money is exact. The unit is the pico-dollar (1e-12 USD): fine enough that every per-token
 * price in the catalog is an integer (a cached token of a cheap model is ~10,000 pico-USD),
 * coarse enough that one call's cost stays far below Number.MAX_SAFE_INTEGER (~$9,007).
 * Sums across many calls use bigint (see `sumPico`), never floats.
 */
export type PicoUsd = number;

/** Pico-USD per token for a price of 1 USD per million tokens. */
export const PICO_PER_TOKEN_PER_USD_PER_MTOK = 1_000_000;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal USD-per-million-tokens price ("0.075") into integer pico-USD per token.
 * Throws if the price is negative, not a plain decimal, or finer than 1 pico-USD per token.
 */
export function usdPerMillionToPicoPerToken(price: string | number): PicoUsd {
  const text = typeof price === 'number' ? numberToPlainDecimal(price) : price.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`invalid price "${text}": expected a non-negative decimal (USD per 1M tokens)`);
  const whole = match[1]!;
  const frac = match[2] ?? '';
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) {
    throw new Error(`price "${text}" is finer than 1 pico-USD per token (max 6 decimals per 1M tokens)`);
  }
  const value = Number(whole) * 1_000_000 + Number((frac + '000000').slice(0, 6));
  if (!Number.isSafeInteger(value)) throw new Error(`price "${text}" is too large`);
  return value;
}

function numberToPlainDecimal(value: number): string {
  if (!Number.isFinite(value) || value < 0) return String(value);
  // toFixed(9) then trim: prices are given with at most a few decimals, so this is exact.
  return value.toFixed(9).replace(/\.?0+$/, '');
}

/** Multiplies a per-token price by a ratio (e.g. 5/4 for a cache write), rounding half up to whole pico. */
export function scalePrice(pricePico: PicoUsd, numerator: number, denominator: number): PicoUsd {
  return Math.floor((pricePico * numerator + Math.floor(denominator / 2)) / denominator);
}

/** Exact sum of pico amounts as bigint. */
export function sumPico(values: Iterable<PicoUsd | bigint | null | undefined>): bigint {
  let total = 0n;
  for (const value of values) if (value != null) total += BigInt(value);
  return total;
}

/** Pico-USD (integer or bigint) to a USD decimal string with 12 decimals, trailing zeros trimmed to at least 2. */
export function picoToUsdString(pico: PicoUsd | bigint): string {
  const value = BigInt(pico);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 1_000_000_000_000n;
  let frac = (abs % 1_000_000_000_000n).toString().padStart(12, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** Pico-USD to a USD number, for display and JSON only (never sum the result). */
export function picoToUsdNumber(pico: PicoUsd | bigint): number {
  return Number(picoToUsdString(pico));
}

/** USD decimal (string or number) to integer pico-USD, for budgets and config amounts. */
export function usdToPico(usd: string | number): PicoUsd {
  const text = typeof usd === 'number' ? numberToPlainDecimal(usd) : usd.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`invalid USD amount "${text}"`);
  const frac = (match[2] ?? '').padEnd(12, '0').slice(0, 12);
  const value = Number(match[1]!) * 1e12 + Number(frac);
  if (!Number.isSafeInteger(value)) throw new Error(`USD amount "${text}" is too large for one value (max ~$9,007)`);
  return value;
}
