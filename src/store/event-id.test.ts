import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newEventId } from './event-id.js';

test('newEventId is a UUIDv7 carrying the timestamp, unique and time-sortable', () => {
  const id = newEventId(Date.UTC(2026, 10, 1, 12));
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), Date.UTC(2026, 10, 1, 12));
  const ids = Array.from({ length: 10_000 }, (_, i) => newEventId(1_700_000_000_000 + Math.floor(i / 10)));
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 10; i < ids.length; i += 10) assert.ok(ids[i - 1]! < ids[i]!, 'a later millisecond sorts later');
});
