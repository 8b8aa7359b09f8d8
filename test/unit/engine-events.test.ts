/** Lines of dockerd's /events stream: which count, as which type, and that bad lines are only counted. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventTypeOf, parseEventLine, EVENTS_PATH } from '../../src/sources/docker/engine-events.js';
import { isHttpAllowed } from '../../src/sources/read-only.js';

const ID = 'c'.repeat(64);

test('die, oom and every health_status are counted, each as one fixed type', () => {
  assert.deepEqual(parseEventLine(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID, Attributes: { exitCode: '3' } } })), {
    type: 'die',
    id: ID,
  });
  assert.deepEqual(parseEventLine(JSON.stringify({ Type: 'container', Action: 'oom', Actor: { ID } })), { type: 'oom', id: ID });
  for (const action of ['health_status: healthy', 'health_status: unhealthy', 'health_status:starting']) {
    assert.equal(eventTypeOf(action), 'health_status', action);
  }
});

test('other events and other object types are not counted; malformed lines are', () => {
  assert.equal(parseEventLine(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID } })), null);
  assert.equal(parseEventLine(JSON.stringify({ Type: 'network', Action: 'die', Actor: { ID } })), null);
  assert.equal(eventTypeOf('dies'), null);
  assert.equal(eventTypeOf(7), null);
  for (const bad of ['{', '[]', 'null', '"die"']) assert.equal(parseEventLine(bad), 'malformed', bad);
});

test('a label value chosen by a container never becomes a type', () => {
  const hostile = parseEventLine(JSON.stringify({ Type: 'container', Action: 'health_status: "}\n{evil', Actor: { ID } }));
  assert.deepEqual(hostile, { type: 'health_status', id: ID });
});

test('the subscription is a GET on the read-only allowlist', () => {
  assert.ok(isHttpAllowed('GET', EVENTS_PATH));
  assert.ok(!isHttpAllowed('POST', EVENTS_PATH));
});
