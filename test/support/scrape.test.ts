import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metric, metricsUrl, parseExposition, seriesKey } from './scrape.js';
import { argValue, parseStatLine } from './proc.js';

describe('test support: exposition parser', () => {
  it('keys series by name and sorted labels', () => {
    const m = parseExposition(
      [
        '# HELP docker_engine_component_up 1 while up.',
        '# TYPE docker_engine_component_up gauge',
        'docker_engine_component_up{component="containerd"} 1',
        'docker_engine_component_up{component="dockerd"} 0',
        'x_bucket{le="+Inf",b="q\\"uote\\\\d",a="1"} 3 1700000000000',
        'plain_total 42',
        'nan_metric NaN',
        'nan2 Nan',
        'inf2 +inf',
        '',
      ].join('\n'),
    );
    assert.equal(metric(m, 'docker_engine_component_up', { component: 'containerd' }), 1);
    assert.equal(metric(m, 'docker_engine_component_up', { component: 'dockerd' }), 0);
    assert.equal(m.get('x_bucket{a="1",b="q\\"uote\\\\d",le="+Inf"}'), 3);
    assert.equal(metric(m, 'x_bucket', { le: '+Inf', b: 'q"uote\\d', a: '1' }), 3);
    assert.equal(metric(m, 'plain_total'), 42);
    assert.ok(Number.isNaN(metric(m, 'nan_metric')));
    assert.ok(Number.isNaN(metric(m, 'nan2')));
    assert.equal(metric(m, 'inf2'), Number.POSITIVE_INFINITY);
    assert.equal(metric(m, 'absent'), undefined);
    assert.equal(seriesKey('a', { z: '1', b: '2' }), 'a{b="2",z="1"}');
  });

  it('appends /metrics to a bare base URL only', () => {
    assert.equal(metricsUrl('http://127.0.0.1:9/'), 'http://127.0.0.1:9/metrics');
    assert.equal(metricsUrl('http://127.0.0.1:9'), 'http://127.0.0.1:9/metrics');
    assert.equal(metricsUrl('http://127.0.0.1:9/custom'), 'http://127.0.0.1:9/custom');
  });

  it('rejects malformed lines', () => {
    assert.throws(() => parseExposition('a{b="c} 1'));
    assert.throws(() => parseExposition('a{b="c"} notanumber'));
  });
});

describe('test support: /proc helpers', () => {
  it('splits stat at the last parenthesis', () => {
    const st = parseStatLine('42 (a) b) (c) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0');
    assert.ok(st);
    assert.equal(st.comm, 'a) b) (c');
    assert.equal(st.state, 'S');
    assert.equal(st.ppid, 1);
    assert.equal(st.startTicks, 12345);
  });
  it('reads flag values in both spellings', () => {
    assert.equal(argValue(['x', '-address', '/s.sock'], '-address'), '/s.sock');
    assert.equal(argValue(['x', '--config=/c.toml'], '--config'), '/c.toml');
    assert.equal(argValue(['x'], '--config'), null);
  });
});
