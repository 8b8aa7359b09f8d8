/**
 * prom-client's nodejs_eventloop_lag_* come from perf_hooks.monitorEventLoopDelay, a repeating timer
 * on the main thread at the given resolution (10 ms unless told). The exporter asks for a coarser
 * one, once a second: 100 wake-ups a second were most of an idle exporter's CPU. This watches what prom-client asks
 * perf_hooks for (prom-client reads the CommonJS perf_hooks module at call time, so wrapping its
 * function sees the call) and that the series are still exported.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { registerExporterMetrics } from '../../src/metrics/exporter-metrics.js';

const perfHooks = createRequire(import.meta.url)('perf_hooks') as typeof import('node:perf_hooks');

it('samples the event loop delay at most once a second, and still exports the lag series', async () => {
  const original = perfHooks.monitorEventLoopDelay;
  const asked: (number | undefined)[] = [];
  perfHooks.monitorEventLoopDelay = (options) => {
    asked.push(options?.resolution);
    return original(options);
  };
  try {
    const registry = new Registry();
    registerExporterMetrics({
      registry,
      status: () => ({ latest: null, lastSuccessMs: null, pollErrors: {}, readErrors: new Map() }),
      pollIntervalSeconds: 1,
      version: 'test',
      sourceName: 'procfs',
    });
    assert.equal(asked.length, 1, 'one event loop monitor');
    const resolution = asked[0];
    assert.ok(resolution !== undefined && resolution >= 1000, `resolution ${resolution} ms: more than one wake-up a second`);
    const text = await registry.metrics();
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
  } finally {
    perfHooks.monitorEventLoopDelay = original;
  }
});
