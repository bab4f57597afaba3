import type { Migration } from './migration-types.js';
import { migration001UsageEvents } from './migrations/001-usage-events.js';
import { migration002VirtualKeys } from './migrations/002-virtual-keys.js';
import { migration003Outcomes } from './migrations/003-outcomes.js';
import { migration004UsageRollups } from './migrations/004-usage-rollups.js';

/** Every SQLite migration in order. Append new ones; never edit or reorder an applied one. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [migration001UsageEvents, migration002VirtualKeys, migration003Outcomes,
  migration004UsageRollups];
