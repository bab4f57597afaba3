import type { Migration } from '../migration-types.js';

/** Task outcomes, keyed by their idempotency id; reports look them up by task and name. */
export const migration003Outcomes: Migration = {
  version: 3,
  name: 'outcomes',
  sql: `
CREATE TABLE outcomes (
  id TEXT PRIMARY KEY NOT NULL,
  task TEXT NOT NULL,
  name TEXT NOT NULL,
  success INTEGER NOT NULL,
  value REAL,
  ts INTEGER NOT NULL
);
CREATE INDEX outcomes_task ON outcomes (task, name, ts);
`,
};
