import pg from 'pg';
export { redactUrl } from '../redact-url.js';

/** Connection settings of the Postgres ledger; every field is optional. */
export interface PostgresConnectionOptions {
  /**
   * Schema holding tokenmeter's tables (created if missing); default: the URL's `?schema=`, else the
   * server's search_path (normally `public`). Tests use a unique schema per run.
   */
  schema?: string;
  /** Pool size (default 8: one batch writer, key lookups and reports; the URL's `?pool=` also sets it). */
  poolSize?: number;
  /** Reports of pool errors on idle connections (a dropped connection is replaced on next use). */
  onError?: (error: Error) => void;
}

/** A pool and the schema its connections use. */
export interface PostgresConnection {
  pool: pg.Pool;
  schema: string | null;
}

/** Quotes an identifier for SQL text (schema names come from options, never from requests). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const INT8_OID = 20;

/**
 * Type parsers: BIGINT columns hold per-call values below 2^53 (tokens, pico-USD of one call, ms
 * timestamps), so they are read as numbers; sums are cast to text in SQL and read with BigInt.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Splits tokenmeter's own URL parameters (`schema`, `pool`) from the ones pg understands. */
export function parseDatabaseUrl(url: string): { connectionString: string; schema: string | null; poolSize: number | null } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  const pool = parsed.searchParams.get('pool');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pool');
  const poolSize = pool === null ? null : Number(pool);
  if (poolSize !== null && (!Number.isSafeInteger(poolSize) || poolSize < 1)) {
    throw new Error(`invalid ?pool=${pool} in the database URL: expected a whole number >= 1`);
  }
  return { connectionString: parsed.toString(), schema: schema || null, poolSize };
}

/**
 * Opens a pool sized for a gateway replica: few connections (writes are one batch at a time),
 * keep-alive, and a bounded wait for a connection so a dead server surfaces as an error, not a hang.
 */
export function connectPostgres(url: string, options: PostgresConnectionOptions = {}): PostgresConnection {
  const parsed = parseDatabaseUrl(url);
  const schema = options.schema ?? parsed.schema;
  const pool = new pg.Pool({
    connectionString: parsed.connectionString,
    max: options.poolSize ?? parsed.poolSize ?? 8,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: 'tokenmeter',
    // search_path as a startup parameter: every pooled connection uses the schema, no per-checkout SET.
    options: schema ? `-c search_path=${quoteIdent(schema).replace(/ /g, '\\ ')}` : undefined,
    types,
  });
  pool.on('error', (error) => options.onError?.(error));
  return { pool, schema };
}
