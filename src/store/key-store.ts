/** A tokenmeter virtual key as stored: only its hash, never the key itself. */
export interface VirtualKeyRecord {
  id: string;
  /** SHA-256 hex of the full key. */
  hash: string;
  /** The first characters of the key, safe to show (`tm_abc12345`), to tell keys apart in lists. */
  prefix: string;
  name: string | null;
  tenant: string | null;
  team: string | null;
  user: string | null;
  /** A budget attached to the key, in integer pico-USD per calendar period. */
  budgetPico: number | null;
  budgetPeriod: 'day' | 'week' | 'month' | null;
  /** Requests per minute allowed for the key. */
  rpm: number | null;
  createdAt: number;
  revokedAt: number | null;
}

/** Where virtual keys live (the same database as the ledger). */
export interface KeyStore {
  create(record: VirtualKeyRecord): Promise<void>;
  findByHash(hash: string): Promise<VirtualKeyRecord | null>;
  /** Marks a key revoked by id, hash or prefix; returns the record, or null when none matched. */
  revoke(match: { id?: string; hash?: string }, at: number): Promise<VirtualKeyRecord | null>;
  list(): Promise<VirtualKeyRecord[]>;
  /** Changes a key's budget or rate; returns the updated record, or null when no key has that id. */
  updateLimits(id: string, limits: { budgetPico?: number | null; budgetPeriod?: 'day' | 'week' | 'month' | null; rpm?: number | null }): Promise<VirtualKeyRecord | null>;
  /** True when at least one key is not revoked (auth mode `auto` then requires keys). */
  hasActiveKeys(): Promise<boolean>;
}
