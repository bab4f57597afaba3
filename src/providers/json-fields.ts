/** Small readers for untrusted parsed JSON (provider bodies): wrong types read as absent. */

/** The value when it is a plain object, else null. */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The value when it is a non-empty string, else null. */
export function asString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

