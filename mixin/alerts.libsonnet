// The alert rules, one small object per alert, in the order they are written out. Each object gets
// its severity label and its runbook_url from alert() below; `for` and the thresholds come from
// _config (config.libsonnet). See README.md here for how to add one.
//
// Conventions the expressions rely on (docs/architecture.md, "Where each metric comes from"):
// - Series of the expected components are always present, 0 when down, so no rule needs absent().
// - docker_engine_component_restarts_total counts new (pid, start time) identities of dockerd and
//   containerd seen by this exporter process; it starts at 0 and resets to 0 when the exporter restarts.
local lib = import 'lib.libsonnet';

// `for` as the descriptions say it: '30s' → '30 seconds', '1m' → 'a minute', '15m' → '15 minutes'.
local dur = lib.humanDuration;

// "3 or more in the window" needs an exact count, which increase() is not: it extrapolates to the
// window's edges, and a young series that saw 2 restarts can report 3.7. Without a reset in the
// window the raw rise is max - min (a counter only grows); with one (the exporter restarted) fall
// back to increase(), whose reset handling is right and whose extrapolation is then the lesser evil.
// The `or` adds increase() only for series the first branch dropped.
local exactRestarts(component, cfg) =
  local s = 'docker_engine_component_restarts_total{%s,component="%s"}[%s]' % [cfg.dockerEngineSelector, component, cfg.restartWindow];
  |||
    (
        (
            max_over_time(%(s)s)
          - min_over_time(%(s)s)
        )
        unless resets(%(s)s) > 0
      or
        increase(%(s)s)
    ) >= %(n)d
  ||| % { s: s, n: cfg.crashLoopRestarts };

{
  // Builds every alert from _config; prometheusAlerts below calls it with the final _config.
  dockerEngineAlerts(cfg):: [
    // ---------------------------------------------------------------- down
    {
      alert: 'DockerdDown',
      expr: 'docker_engine_component_up{%(dockerEngineSelector)s,component="dockerd"} == 0' % cfg,
      'for': cfg.daemonDownFor,
      severity: 'critical',
      summary: 'dockerd is down on {{ $labels.instance }}',
      description: 'No live dockerd of the watched engine has run on {{ $labels.instance }} for at least %s. The Docker API is gone: containers cannot be created, started, stopped or inspected (running containers keep running under their shims).' % dur(cfg.daemonDownFor),
    },
    // dockerd restarts a managed containerd ~10 s after it dies; 30 s keeps that restart from
    // paging as an outage (it shows as ContainerdRestarted instead). No exception for
    // docker_engine_info{containerd_mode="none"}: the exporter also reports "none" while a system
    // containerd that dockerd found by its socket is down, which is exactly when this must fire.
    {
      alert: 'ContainerdDown',
      expr: 'docker_engine_component_up{%(dockerEngineSelector)s,component="containerd"} == 0' % cfg,
      'for': cfg.daemonDownFor,
      severity: 'critical',
      summary: 'containerd is down on {{ $labels.instance }}',
      description: "No live containerd of the watched engine has run on {{ $labels.instance }} for at least %s, longer than dockerd's own restart of a managed containerd (~10 s). No container can be created, started or stopped." % dur(cfg.daemonDownFor),
    },

    // ---------------------------------------------------------------- restarts
    // "Any restart in the window": increase() > 0 is exact for that question. Extrapolation only
    // scales a non-zero raw increase up, never turns 0 into more than 0; a series that first appears
    // with a value (say 4) has no increase inside the window; an exporter restart (counter back to
    // 0) is a reset, which increase() does not count as a rise.
    {
      alert: 'ContainerdRestarted',
      expr: 'increase(docker_engine_component_restarts_total{%(dockerEngineSelector)s,component="containerd"}[%(restartWindow)s]) > 0' % cfg,
      severity: 'warning',
      summary: 'containerd restarted on {{ $labels.instance }}',
      description: 'containerd on {{ $labels.instance }} was replaced by a new process at least once in the last %s. Containers survived if their shims did; look for why it died.' % dur(cfg.restartWindow),
    },
    {
      alert: 'ContainerdCrashLooping',
      expr: exactRestarts('containerd', cfg),
      severity: 'critical',
      summary: 'containerd is crash-looping on {{ $labels.instance }}',
      description: 'containerd on {{ $labels.instance }} restarted {{ $value | humanize }} times in the last %s. Container operations fail while it is down and every restart may take containers with it.' % dur(cfg.restartWindow),
    },
    {
      alert: 'DockerdRestarted',
      expr: 'increase(docker_engine_component_restarts_total{%(dockerEngineSelector)s,component="dockerd"}[%(restartWindow)s]) > 0' % cfg,
      severity: 'warning',
      summary: 'dockerd restarted on {{ $labels.instance }}',
      description: 'dockerd on {{ $labels.instance }} was replaced by a new process at least once in the last %s. A managed containerd restarts with it; without live-restore its containers were stopped.' % dur(cfg.restartWindow),
    },
    {
      alert: 'DockerdCrashLooping',
      expr: exactRestarts('dockerd', cfg),
      severity: 'critical',
      summary: 'dockerd is crash-looping on {{ $labels.instance }}',
      description: 'dockerd on {{ $labels.instance }} restarted {{ $value | humanize }} times in the last %s. The Docker API keeps disappearing.' % dur(cfg.restartWindow),
    },

    // ---------------------------------------------------------------- hung
    // Up (a live process) but its socket does not answer within the probe timeout. dockerd never
    // restarts a hung containerd, so this does not resolve by itself.
    {
      alert: 'ContainerdUnresponsive',
      expr: |||
        docker_engine_component_up{%(dockerEngineSelector)s,component="containerd"} == 1
        and docker_engine_component_healthy{%(dockerEngineSelector)s,component="containerd"} == 0
      ||| % cfg,
      'for': cfg.daemonUnresponsiveFor,
      severity: 'critical',
      summary: 'containerd is running but not answering on {{ $labels.instance }}',
      description: "containerd's process is alive on {{ $labels.instance }} but its gRPC health check has failed for at least %s (stopped, deadlocked or stuck on I/O). dockerd does not restart a hung containerd: container operations hang until someone does." % dur(cfg.daemonUnresponsiveFor),
    },
    {
      alert: 'DockerdUnresponsive',
      expr: |||
        docker_engine_component_up{%(dockerEngineSelector)s,component="dockerd"} == 1
        and docker_engine_component_healthy{%(dockerEngineSelector)s,component="dockerd"} == 0
      ||| % cfg,
      'for': cfg.daemonUnresponsiveFor,
      severity: 'critical',
      summary: 'dockerd is running but not answering on {{ $labels.instance }}',
      description: "dockerd's process is alive on {{ $labels.instance }} but the Engine API (/_ping) has not answered for at least %s. Every docker command hangs." % dur(cfg.daemonUnresponsiveFor),
    },

    // ---------------------------------------------------------------- leaks and breakage in the chain
    {
      alert: 'DockerEngineOrphanShims',
      expr: 'docker_engine_orphan_shims{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.orphanShimsFor,
      severity: 'warning',
      summary: '{{ $value }} orphaned containerd shim(s) on {{ $labels.instance }}',
      description: '{{ $value }} containerd-shim process(es) of the watched containerd on {{ $labels.instance }} have belonged to no known task for %s. They hold memory and mounts, and their containers may still run where no API lists them.' % dur(cfg.orphanShimsFor),
    },
    {
      alert: 'DockerEngineRuncStuck',
      expr: 'docker_engine_stuck_runc_processes{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.runcStuckFor,
      severity: 'warning',
      summary: '{{ $value }} stuck runc process(es) on {{ $labels.instance }}',
      description: "{{ $value }} runc process(es) on {{ $labels.instance }} have been running far longer than a runc command takes (past the exporter's stuck-after age, or in uninterruptible sleep) for another %s. The containers they act on cannot be started, stopped or removed." % lib.humanDurationBare(cfg.runcStuckFor),
    },
    {
      alert: 'DockerEngineProxyMissing',
      expr: 'docker_engine_missing_proxies{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.proxyMissingFor,
      severity: 'warning',
      summary: '{{ $value }} published port(s) without docker-proxy on {{ $labels.instance }}',
      description: "{{ $value }} published host port(s) on {{ $labels.instance }} have had no docker-proxy process for %s while dockerd runs its userland proxy. Connections to those ports through the proxy's path (loopback, and every path where iptables is off) fail." % dur(cfg.proxyMissingFor),
    },
    {
      alert: 'DockerEngineZombieProcesses',
      expr: 'docker_engine_zombie_processes{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.zombiesFor,
      severity: 'warning',
      summary: '{{ $value }} zombie engine process(es) on {{ $labels.instance }}',
      description: "{{ $value }} process(es) of the Docker engine's tree on {{ $labels.instance }} have been zombies for %s: their parent does not reap them." % dur(cfg.zombiesFor),
    },

    // ---------------------------------------------------------------- the exporter itself
    {
      alert: 'DockerEngineExporterDown',
      expr: 'up{%(dockerEngineSelector)s} == 0' % cfg,
      'for': cfg.exporterDownFor,
      severity: 'warning',
      summary: 'docker-engine-exporter on {{ $labels.instance }} cannot be scraped',
      description: 'Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for at least %s. Every other Docker engine alert for this host is blind until it is back.' % dur(cfg.exporterDownFor),
    },
    // The poll's age at scrape time is the recording rule of rules.libsonnet.
    {
      alert: 'DockerEngineExporterStale',
      expr: |||
        docker_engine_exporter:last_poll_age:seconds{%(dockerEngineSelector)s}
        > %(stalePollIntervals)d * docker_engine_exporter_poll_interval_seconds{%(dockerEngineSelector)s}
      ||| % cfg,
      'for': cfg.exporterStaleFor,
      severity: 'warning',
      summary: 'docker-engine-exporter on {{ $labels.instance }} has stopped polling',
      description: 'The last poll of the engine by {{ $labels.instance }} was {{ $value | humanizeDuration }} old when scraped, more than %s poll intervals, for at least %s. Its metrics are frozen: the engine alerts for this host cannot fire.' % [lib.numberWord(cfg.stalePollIntervals), dur(cfg.exporterStaleFor)],
    },
  ],

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'docker-engine',
        rules: [lib.alertRule(a, $._config) for a in $.dockerEngineAlerts($._config)],
      },
    ],
  },
}
