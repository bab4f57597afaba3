import type { Migration } from '../migration-types.js';

/** Virtual keys: stored by SHA-256 hash only; the key itself is shown once at creation. */
export const migration002VirtualKeys: Migration = {
  version: 2,
  name: 'virtual_keys',
  sql: `
CREATE TABLE virtual_keys (
  id TEXT PRIMARY KEY NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT,
  tenant TEXT,
  team TEXT,
  user_id TEXT,
  budget_pico INTEGER,
  budget_period TEXT,
  rpm INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
`,
};
