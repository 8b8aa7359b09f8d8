import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, jsonLineToLogfmt } from '../../src/log/logger.js';

test('logfmt lines carry ts, level, msg and the fields, quoted where needed', () => {
  const lines: string[] = [];
  const log = createLogger('info', 'logfmt', (l) => lines.push(l));
  log.warn({ component: 'containerd', oldPid: 1, newPid: 2, downSeconds: 10.1 }, 'component restarted');
  log.debug('not shown at info');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^ts=\S+ level=warn msg="component restarted" component=containerd oldPid=1 newPid=2 downSeconds=10.1\n$/);
});

test('json lines are JSON with a level label', () => {
  const lines: string[] = [];
  createLogger('debug', 'json', (l) => lines.push(l)).info({ a: 'x y' }, 'hello');
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(rec.level, 'info');
  assert.equal(rec.msg, 'hello');
  assert.equal(rec.a, 'x y');
});

test('logfmt escaping', () => {
  assert.equal(jsonLineToLogfmt('{"msg":"a=b","q":"say \\"hi\\"","e":""}'), 'msg="a=b" q="say \\"hi\\"" e=""\n');
  assert.equal(jsonLineToLogfmt('not json'), 'not json');
});
