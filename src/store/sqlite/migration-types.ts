/** One forward-only schema step; `version` values are consecutive integers starting at 1. */
export interface Migration {
  version: number;
  name: string;
  /** SQL run inside one transaction together with the schema_migrations bookkeeping row. */
  sql: string;
}
