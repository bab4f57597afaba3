import { picoToUsdString } from '../core/money.js';

const PICO_PER_USD = 1_000_000_000_000n;

/** Rounds pico-USD half away from zero to `decimals` USD decimals, returned as an exact decimal string. */
export function roundPicoToUsd(pico: bigint, decimals: number): string {
  const step = 10n ** BigInt(12 - decimals);
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const rounded = ((abs + step / 2n) / step) * step;
  const text = picoToUsdString(negative ? -rounded : rounded);
  const [whole, frac = ''] = text.split('.');
  return decimals === 0 ? whole! : `${whole}.${frac.padEnd(decimals, '0').slice(0, decimals)}`;
}

/**
 * Pico-USD as a display amount: cents from $1 up (with thousands separators), 4 decimals from
 * one cent, 6 below, and `<$0.000001` for dust that would otherwise print as zero.
 */
export function formatUsd(pico: bigint | number): string {
  const value = BigInt(pico);
  if (value === 0n) return '$0.00';
  const abs = value < 0n ? -value : value;
  const sign = value < 0n ? '-' : '';
  if (abs < PICO_PER_USD / 2_000_000n) return `${sign}<$0.000001`;
  const decimals = abs >= PICO_PER_USD ? 2 : abs >= PICO_PER_USD / 100n ? 4 : 6;
  const [whole, frac] = roundPicoToUsd(abs, decimals).split('.');
  return `${sign}$${BigInt(whole!).toLocaleString('en-US')}.${frac}`;
}
