/** The exporter's own health: poll timing, freshness, errors, build info, and prom-client's process metrics. */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { EngineState } from '../engine/engine-state.js';
import { registerOptionalGauge } from './optional-gauge.js';

/** What these metrics read of the poller's status(): declared here, so metrics need not import the poller. */
interface PollStatus {
  latest: Pick<EngineState, 'scannedPids'> | null;
  lastSuccessMs: number | null;
  /** Failed polls by source name. */
  pollErrors: Readonly<Record<string, number>>;
  /** Reads that failed inside otherwise successful polls, by `file/reason`. */
  readErrors: ReadonlyMap<string, number>;
  /** Process scans by `kind/reason`. */
  scans?: ReadonlyMap<string, number>;
  /** Processes the full scan's audit found that the rooted scan had missed. */
  auditMissed?: number;
}

export interface ExporterMetricsOptions {
  registry: Registry;
  status: () => PollStatus;
  pollIntervalSeconds: number;
  version: string;
  sourceName: string;
  /** Failed reads and writes of the --state.file, when one is used. */
  stateFileErrors?: () => { read: number; write: number };
}

export interface ExporterMetrics {
  observePoll(durationSeconds: number): void;
}

const NS = 'docker_engine_exporter';

/** How often the event loop's delay is sampled for nodejs_eventloop_lag_* (prom-client's default: 10 ms). */
const EVENT_LOOP_SAMPLE_MS = 1000;

export function registerExporterMetrics(opts: ExporterMetricsOptions): ExporterMetrics {
  const { registry, status } = opts;
  // prom-client samples the event loop's delay with a repeating timer, every 10 ms by default: 100
  // wake-ups a second cost the idle exporter ~8 ms of CPU a second (~80 µs a wake-up on a virtual
  // machine), most of its budget; 10 a second still cost ~0.8. A stall of at least the resolution
  // always delays one sample, so once a second still catches every stall that could fail a scrape
  // (Prometheus' scrape timeouts are seconds), and nodejs_eventloop_lag_seconds is measured afresh at
  // each scrape (docs/architecture.md, "What a poll costs").
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  // prom-client names three gauges *_total, which `promtool check metrics` rejects; they add
  // nothing an operator of this exporter needs, so they are left out.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }

  const duration = new Histogram({
    name: `${NS}_poll_duration_seconds`,
    help: 'Time one poll of the engine took (process scan, attribution and tracking).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });

  new Gauge({
    name: `${NS}_last_poll_timestamp_seconds`,
    help: 'Unix time of the last successful poll (0 before the first).',
    registers: [registry],
    collect() {
      const last = status().lastSuccessMs;
      this.set(last === null ? 0 : last / 1000);
    },
  });

  new Gauge({
    name: `${NS}_poll_interval_seconds`,
    help: 'The configured poll interval (--poll.interval).',
    registers: [registry],
  }).set(opts.pollIntervalSeconds);

  new Counter({
    name: `${NS}_poll_errors_total`,
    help: 'Polls that failed, by source.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [source, n] of Object.entries(status().pollErrors)) this.inc({ source }, n);
    },
  });

  new Counter({
    name: `${NS}_read_errors_total`,
    help: 'Reads that failed inside polls (permission denied, malformed file, I/O error), by file and reason.',
    labelNames: ['file', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of status().readErrors) {
        const [file = '', reason = ''] = kind.split('/');
        this.inc({ file, reason }, n);
      }
    },
  });

  new Counter({
    name: `${NS}_scans_total`,
    help: "Process scans by kind (rooted: only the engine roots' children, found from new pids or from children files; full: every pid) and why a scan was full.",
    labelNames: ['kind', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of status().scans ?? []) {
        const [kind = '', reason = ''] = key.split('/');
        this.inc({ kind, reason }, n);
      }
    },
  });

  new Counter({
    name: `${NS}_scan_audit_missed_total`,
    help: 'Engine candidate processes a full scan (the audit, every --scan.full-interval) found that the rooted scan had missed.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(status().auditMissed ?? 0);
    },
  });

  registerOptionalGauge(
    registry,
    `${NS}_scanned_processes`,
    'Processes the last successful poll walked.',
    () => status().latest?.scannedPids ?? null,
  );

  if (opts.stateFileErrors) {
    const stateErrors = opts.stateFileErrors;
    new Counter({
      name: `${NS}_state_file_errors_total`,
      help: 'Failed reads (unreadable or corrupt file: the exporter started fresh) and writes of --state.file.',
      labelNames: ['operation'],
      registers: [registry],
      collect() {
        this.reset();
        const e = stateErrors();
        this.inc({ operation: 'read' }, e.read);
        this.inc({ operation: 'write' }, e.write);
      },
    });
  }

  new Gauge({
    name: `${NS}_build_info`,
    help: 'Always 1; labels say which build of the exporter this is and which process source it uses.',
    labelNames: ['version', 'nodejs_version', 'source'],
    registers: [registry],
  }).set({ version: opts.version, nodejs_version: process.version, source: opts.sourceName }, 1);

  return { observePoll: (s) => duration.observe(s) };
}
