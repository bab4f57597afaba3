import type pg from 'pg';
import type { KeyStore, VirtualKeyRecord } from '../key-store.js';

interface KeyRow {
  id: string; hash: string; prefix: string; name: string | null; tenant: string | null; team: string | null; user_id: string | null;
  budget_pico: number | null; budget_period: string | null; rpm: number | null; created_at: number; revoked_at: number | null;
}

const decode = (row: KeyRow): VirtualKeyRecord => ({
  id: row.id, hash: row.hash, prefix: row.prefix, name: row.name, tenant: row.tenant, team: row.team, user: row.user_id,
  budgetPico: row.budget_pico, budgetPeriod: row.budget_period as VirtualKeyRecord['budgetPeriod'], rpm: row.rpm,
  createdAt: row.created_at, revokedAt: row.revoked_at,
});

/** Virtual keys in the ledger's Postgres schema (same table shape as SQLite's migration 002). */
export class PostgresKeyStore implements KeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(record: VirtualKeyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO virtual_keys (id, hash, prefix, name, tenant, team, user_id, budget_pico, budget_period, rpm, created_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [record.id, record.hash, record.prefix, record.name, record.tenant, record.team, record.user, record.budgetPico,
        record.budgetPeriod, record.rpm, record.createdAt, record.revokedAt]);
  }

  async findByHash(hash: string): Promise<VirtualKeyRecord | null> {
    const { rows } = await this.pool.query<KeyRow>({ name: 'tm_key_by_hash', text: 'SELECT * FROM virtual_keys WHERE hash = $1', values: [hash] });
    return rows[0] ? decode(rows[0]) : null;
  }

  /** Revokes once: a second revoke keeps the first revocation time. */
  async revoke(match: { id?: string; hash?: string }, at: number): Promise<VirtualKeyRecord | null> {
    const column = match.id ? 'id' : 'hash';
    const value = match.id ?? match.hash;
    if (!value) return null;
    const { rows } = await this.pool.query<KeyRow>(
      `UPDATE virtual_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE ${column} = $2 RETURNING *`, [at, value]);
    return rows[0] ? decode(rows[0]) : null;
  }

  async list(): Promise<VirtualKeyRecord[]> {
    const { rows } = await this.pool.query<KeyRow>('SELECT * FROM virtual_keys ORDER BY created_at, id');
    return rows.map(decode);
  }

  async updateLimits(id: string, limits: { budgetPico?: number | null; budgetPeriod?: 'day' | 'week' | 'month' | null; rpm?: number | null }): Promise<VirtualKeyRecord | null> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => { values.push(value); sets.push(`${column} = $${values.length}`); };
    if (limits.budgetPico !== undefined) set('budget_pico', limits.budgetPico);
    if (limits.budgetPeriod !== undefined) set('budget_period', limits.budgetPeriod);
    if (limits.rpm !== undefined) set('rpm', limits.rpm);
    values.push(id);
    const sql = sets.length > 0
      ? `UPDATE virtual_keys SET ${sets.join(', ')} WHERE id = $${values.length} RETURNING *`
      : 'SELECT * FROM virtual_keys WHERE id = $1';
    const { rows } = await this.pool.query<KeyRow>(sql, values);
    return rows[0] ? decode(rows[0]) : null;
  }

  async hasActiveKeys(): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM virtual_keys WHERE revoked_at IS NULL LIMIT 1');
    return rows.length > 0;
  }
}
