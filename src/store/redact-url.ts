// Kept apart from the Postgres modules so commands can name a database without loading pg.
/** Redacts the password of a database URL for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
