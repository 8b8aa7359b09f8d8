/**
 * The metric names the exporter emits (docs/architecture.md, "Where each metric comes from"), and so
 * the only names the dashboard and the alert rules may query.
 */
const EXPORTER_METRICS: readonly string[] = [
  'docker_engine_component_up',
  'docker_engine_component_processes',
  'docker_engine_component_restarts_total',
  'docker_engine_component_start_time_seconds',
  'docker_engine_component_cpu_seconds_total',
  'docker_engine_component_resident_memory_bytes',
  'docker_engine_component_open_fds',
  'docker_engine_component_threads',
  'docker_engine_component_healthy',
  'docker_engine_probe_success',
  'docker_engine_probe_duration_seconds',
  'docker_engine_orphan_shims',
  'docker_engine_stuck_runc_processes',
  'docker_engine_missing_proxies',
  'docker_engine_zombie_processes',
  'docker_engine_unresponsive_containers',
  'docker_engine_unresponsive_shims',
  'docker_engine_childless_shims',
  'docker_engine_task_exits_total',
  'docker_engine_task_oom_total',
  'docker_engine_tasks',
  'docker_engine_info',
  'docker_engine_component_oom_kills_total',
  'docker_engine_component_hung_task_reports_total',
  'docker_engine_container_events_total',
  'docker_engine_dockerd_goroutines',
  'docker_engine_dockerd_event_listeners',
  'docker_engine_containerd_plugin_errors',
  'docker_engine_leaked_proxies',
  'docker_engine_state_drift',
  'docker_engine_exporter_poll_duration_seconds_bucket',
  'docker_engine_exporter_poll_duration_seconds_sum',
  'docker_engine_exporter_poll_duration_seconds_count',
  'docker_engine_exporter_last_poll_timestamp_seconds',
  'docker_engine_exporter_poll_interval_seconds',
  'docker_engine_exporter_poll_errors_total',
  'docker_engine_exporter_build_info',
  // headroom (src/metrics/headroom-metrics.ts)
  'docker_engine_component_max_fds',
  'docker_engine_component_worst_fd_ratio',
  'docker_engine_component_uninterruptible_threads',
  'docker_engine_task_limit',
  'docker_engine_task_limit_used',
  'docker_engine_task_limit_ratio',
  'docker_engine_storage_avail_bytes',
  'docker_engine_storage_size_bytes',
  'docker_engine_storage_avail_inodes',
  'docker_engine_storage_inodes',
  'docker_engine_exporter_scans_total',
  'docker_engine_exporter_scan_audit_missed_total',
];

/** prom-client's default process metrics (lib/metrics/process*.js); nodejs_* are not allowed. */
const PROCESS_METRICS: readonly string[] = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
];

/** Prometheus's own per-target series. */
const SCRAPE_METRICS: readonly string[] = ['up'];

export const ALLOWED_METRICS: ReadonlySet<string> = new Set([...EXPORTER_METRICS, ...PROCESS_METRICS, ...SCRAPE_METRICS]);

/**
 * Series the recording rules of prometheus/rules/docker-engine.rules.yml (mixin/rules.libsonnet)
 * make, which alerts and panels may read besides the exporter's own; test/static/mixin.test.ts
 * checks that this list is the rules file's records.
 */
export const RECORDED_METRICS: ReadonlySet<string> = new Set(['docker_engine_exporter:last_poll_age:seconds']);

/** Components in the order of the architecture (dockerd starts containerd, which starts shims, …). */
export const COMPONENTS_IN_CHAIN_ORDER: readonly string[] = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init'];
