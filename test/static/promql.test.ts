import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricNames, selectorsOf } from '../support-static/promql.js';

describe('metric names in PromQL', () => {
  const cases: Array<[string, string[]]> = [
    ['up', ['up']],
    ['docker_engine_component_up{component="dockerd"} == 0', ['docker_engine_component_up']],
    [
      'histogram_quantile(0.99, sum by (le) (rate(docker_engine_exporter_poll_duration_seconds_bucket{instance="$instance"}[$__rate_interval])))',
      ['docker_engine_exporter_poll_duration_seconds_bucket'],
    ],
    ['a_total - b offset 5m unless on(instance, job) c{x="not_a_metric"} > 1e3 and ignoring(component) d', ['a_total', 'b', 'c', 'd']],
    ['sum(rate(x[5m])) by (component) / count without (job) (y)', ['x', 'y']],
    ['(1 - avg_over_time(up[$__range])) * $__range_s', ['up']],
    ['time() - process_start_time_seconds{instance="${instance}"}', ['process_start_time_seconds']],
    ['max_over_time(foo[15m:1m]) - min_over_time(foo[15m])', ['foo']],
    ['0x1F + .5 + inf', []],
  ];
  for (const [expr, names] of cases) {
    it(expr, () => {
      assert.deepEqual(metricNames(expr).sort(), [...names].sort());
    });
  }
});

describe('selectors in PromQL', () => {
  it('finds each selector of a name with its matchers, not names inside strings', () => {
    const expr = 'up{instance="$instance"} + on() group_left count(up) + x{name="up"}';
    assert.deepEqual(selectorsOf(expr, ['up']), [
      { metric: 'up', matchers: 'instance="$instance"' },
      { metric: 'up', matchers: '' },
    ]);
  });
});
