import type Database from 'better-sqlite3';
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

/** Virtual keys in the ledger's SQLite database (table created by migration 002). */
export class SqliteKeyStore implements KeyStore {
  private readonly insert: Database.Statement;
  private readonly byHash: Database.Statement;
  private readonly all: Database.Statement;
  private readonly active: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO virtual_keys (id, hash, prefix, name, tenant, team, user_id, budget_pico, budget_period, rpm, created_at, revoked_at)
      VALUES (@id, @hash, @prefix, @name, @tenant, @team, @user, @budgetPico, @budgetPeriod, @rpm, @createdAt, @revokedAt)`);
    this.byHash = db.prepare('SELECT * FROM virtual_keys WHERE hash = ?');
    this.all = db.prepare('SELECT * FROM virtual_keys ORDER BY created_at, id');
    this.active = db.prepare('SELECT 1 FROM virtual_keys WHERE revoked_at IS NULL LIMIT 1');
  }

  async create(record: VirtualKeyRecord): Promise<void> {
    this.insert.run(record);
  }

  async findByHash(hash: string): Promise<VirtualKeyRecord | null> {
    const row = this.byHash.get(hash) as KeyRow | undefined;
    return row ? decode(row) : null;
  }

  async revoke(match: { id?: string; hash?: string }, at: number): Promise<VirtualKeyRecord | null> {
    const where = match.id ? 'id = ?' : 'hash = ?';
    const value = match.id ?? match.hash;
    if (!value) return null;
    this.db.prepare(`UPDATE virtual_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE ${where}`).run(at, value);
    const row = this.db.prepare(`SELECT * FROM virtual_keys WHERE ${where}`).get(value) as KeyRow | undefined;
    return row ? decode(row) : null;
  }

  async list(): Promise<VirtualKeyRecord[]> {
    return (this.all.all() as KeyRow[]).map(decode);
  }

  async updateLimits(id: string, limits: { budgetPico?: number | null; budgetPeriod?: 'day' | 'week' | 'month' | null; rpm?: number | null }): Promise<VirtualKeyRecord | null> {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (limits.budgetPico !== undefined) (sets.push('budget_pico = ?'), values.push(limits.budgetPico));
    if (limits.budgetPeriod !== undefined) (sets.push('budget_period = ?'), values.push(limits.budgetPeriod));
    if (limits.rpm !== undefined) (sets.push('rpm = ?'), values.push(limits.rpm));
    if (sets.length > 0) this.db.prepare(`UPDATE virtual_keys SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
    const row = this.db.prepare('SELECT * FROM virtual_keys WHERE id = ?').get(id) as KeyRow | undefined;
    return row ? decode(row) : null;
  }

  async hasActiveKeys(): Promise<boolean> {
    return this.active.get() !== undefined;
  }
}
