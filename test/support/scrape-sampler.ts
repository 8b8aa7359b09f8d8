/**
 * Scrapes an exporter over and over in the background and keeps every sample, so a test can check
 * every scrape (not only the last) for a series that must never change, and count scrapes that failed.
 */
import { metricsUrl, parseExposition } from './scrape.js';
import { delay } from './run.js';

export interface Sample {
  /** Date.now() when the scrape started. */
  atMs: number;
  /** How long the scrape took. */
  tookMs: number;
  /** HTTP status, or null when the request failed (refused, reset, timed out). */
  status: number | null;
  error: string | null;
  series: Map<string, number>;
}

export interface Sampler {
  samples: Sample[];
  /** Stops the loop after the scrape in flight; resolves with every sample. */
  stop(): Promise<Sample[]>;
}

/** One scrape, never rejecting: failures are samples too. */
async function sampleOnce(url: string, timeoutMs: number): Promise<Sample> {
  const atMs = Date.now();
  const started = performance.now();
  try {
    const res = await fetch(metricsUrl(url), { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return {
      atMs,
      tookMs: performance.now() - started,
      status: res.status,
      error: res.status === 200 ? null : body.slice(0, 200),
      series: res.status === 200 ? parseExposition(body) : new Map<string, number>(),
    };
  } catch (err) {
    return { atMs, tookMs: performance.now() - started, status: null, error: (err as Error).message, series: new Map<string, number>() };
  }
}

/** Scrapes `url` one request at a time, `pauseMs` apart, until stop(). */
export function startSampler(url: string, pauseMs = 50, timeoutMs = 5000): Sampler {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      samples.push(await sampleOnce(url, timeoutMs));
      if (!stopped) await delay(pauseMs);
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}
