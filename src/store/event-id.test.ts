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

test('ids made in the same millisecond sort in the order they were made', () => {
  const ms = Date.now() + 60_000;
  const ids = Array.from({ length: 2_000 }, () => newEventId(ms));
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `id ${i} sorts after id ${i - 1}`);
  // An older timestamp still yields a valid, unique id of that time.
  const old = newEventId(ms - 5_000);
  assert.equal(parseInt(old.slice(0, 8) + old.slice(9, 13), 16), ms - 5_000);
  assert.match(old, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('every one of the 62 random bits after the variant varies, and no two ids share them', () => {
  const ids = Array.from({ length: 4_000 }, () => newEventId(1_700_000_000_000));
  const randB = ids.map((id) => BigInt(`0x${id.slice(19, 23)}${id.slice(24)}`) & ((1n << 62n) - 1n));
  assert.equal(new Set(randB).size, ids.length);
  for (let bit = 0n; bit < 62n; bit++) {
    const ones = randB.filter((value) => (value >> bit) & 1n).length;
    assert.ok(ones > 1_700 && ones < 2_300, `bit ${bit} is set in ${ones} of 4,000 ids`);
  }
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
