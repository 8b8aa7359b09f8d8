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

// A whole percent as the ratio an expression compares with: 80 → '0.80', 5 → '0.05'.
local ratio(percent) = if percent >= 100 then '1' else '0.%02d' % percent;

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
    // The per-container sweep: a wedged container or hung shim for one or two sweeps does not
    // page; one that lasts does, and resolves when it answers.
    {
      alert: 'DockerEngineContainerUnresponsive',
      expr: 'docker_engine_unresponsive_containers{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.containerUnresponsiveFor,
      severity: 'critical',
      summary: '{{ $value }} unresponsive container(s) on {{ $labels.instance }}',
      description: "{{ $value }} running container(s) on {{ $labels.instance }} have not answered dockerd's inspect for %s while dockerd itself answers: every call on them (inspect, stop, logs, rm -f) hangs, and a kubelet marks the node NotReady. The exporter's status page and `check` name them." % dur(cfg.containerUnresponsiveFor),
    },
    {
      alert: 'DockerEngineShimUnresponsive',
      expr: 'docker_engine_unresponsive_shims{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.shimUnresponsiveFor,
      severity: 'warning',
      summary: '{{ $value }} unresponsive containerd shim(s) on {{ $labels.instance }}',
      description: "{{ $value }} containerd shim(s) on {{ $labels.instance }} have not answered their task's state for %s while containerd answers. Their containers cannot be stopped or inspected through the engine. Do not kill them as orphans: their workloads may still run." % dur(cfg.shimUnresponsiveFor),
    },
    {
      alert: 'DockerEngineShimChildless',
      expr: 'docker_engine_childless_shims{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.shimChildlessFor,
      severity: 'warning',
      summary: '{{ $value }} childless containerd shim(s) on {{ $labels.instance }}',
      description: "{{ $value }} containerd shim(s) on {{ $labels.instance }} have had their task RUNNING for %s while the task's process is gone: the engine reports a container running that is not." % dur(cfg.shimChildlessFor),
    },
    {
      alert: 'DockerEngineZombieProcesses',
      expr: 'docker_engine_zombie_processes{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.zombiesFor,
      severity: 'warning',
      summary: '{{ $value }} zombie engine process(es) on {{ $labels.instance }}',
      description: "{{ $value }} process(es) of the Docker engine's tree on {{ $labels.instance }} have been zombies for %s: their parent does not reap them." % dur(cfg.zombiesFor),
    },

    // ---------------------------------------------------------------- headroom
    // Ratios, not absolute numbers: each names its own limit (docs/runbook.md says where each one
    // comes from). 80 % for 5 min warns while there is time; 95 % for 1 min means the next burst fails.
    {
      alert: 'DockerEngineFdsNearLimit',
      expr: 'docker_engine_component_worst_fd_ratio{%(dockerEngineSelector)s} > %(threshold)s' % (cfg { threshold: ratio(cfg.headroomWarnPercent) }),
      'for': cfg.headroomWarnFor,
      severity: 'warning',
      summary: '{{ $labels.component }} uses {{ $value | humanizePercentage }} of its fd limit on {{ $labels.instance }}',
      description: 'A {{ $labels.component }} process on {{ $labels.instance }} has had more than %s %% of its soft RLIMIT_NOFILE open for %s. At 100 %% it cannot accept connections or open files ("too many open files").' % [cfg.headroomWarnPercent, dur(cfg.headroomWarnFor)],
    },
    {
      alert: 'DockerEngineFdsExhausted',
      expr: 'docker_engine_component_worst_fd_ratio{%(dockerEngineSelector)s} > %(threshold)s' % (cfg { threshold: ratio(cfg.headroomCriticalPercent) }),
      'for': cfg.headroomCriticalFor,
      severity: 'critical',
      summary: '{{ $labels.component }} uses {{ $value | humanizePercentage }} of its fd limit on {{ $labels.instance }}',
      description: 'A {{ $labels.component }} process on {{ $labels.instance }} has had more than %s %% of its soft RLIMIT_NOFILE open for %s: the next connections or files fail with EMFILE.' % [cfg.headroomCriticalPercent, dur(cfg.headroomCriticalFor)],
    },
    {
      alert: 'DockerEngineTasksNearLimit',
      expr: 'docker_engine_task_limit_ratio{%(dockerEngineSelector)s} > %(threshold)s' % (cfg { threshold: ratio(cfg.headroomWarnPercent) }),
      'for': cfg.headroomWarnFor,
      severity: 'warning',
      summary: 'The engine is at {{ $value | humanizePercentage }} of {{ $labels.limit }} on {{ $labels.instance }}',
      description: 'Threads or processes of the Docker engine on {{ $labels.instance }} have been above %s %% of {{ $labels.limit }} for %s. At 100 %% the daemon cannot start a thread (a Go daemon aborts) or a shim.' % [cfg.headroomWarnPercent, dur(cfg.headroomWarnFor)],
    },
    {
      alert: 'DockerEngineTasksExhausted',
      expr: 'docker_engine_task_limit_ratio{%(dockerEngineSelector)s} > %(threshold)s' % (cfg { threshold: ratio(cfg.headroomCriticalPercent) }),
      'for': cfg.headroomCriticalFor,
      severity: 'critical',
      summary: 'The engine is at {{ $value | humanizePercentage }} of {{ $labels.limit }} on {{ $labels.instance }}',
      description: 'Threads or processes of the Docker engine on {{ $labels.instance }} have been above %s %% of {{ $labels.limit }} for %s: new containers, threads or shims are about to fail, or the daemon to abort.' % [cfg.headroomCriticalPercent, dur(cfg.headroomCriticalFor)],
    },
    // D for a moment is ordinary disk I/O; a thread that stays in D for 5 minutes waits for
    // storage that does not answer (a hung NFS or FUSE mount, a dead disk). runc has its own rule.
    {
      alert: 'DockerEngineThreadsUninterruptible',
      expr: 'docker_engine_component_uninterruptible_threads{%(dockerEngineSelector)s,component!="runc"} > 0' % cfg,
      'for': cfg.uninterruptibleThreadsFor,
      severity: 'warning',
      summary: '{{ $value }} {{ $labels.component }} thread(s) stuck in the kernel on {{ $labels.instance }}',
      description: '{{ $labels.component }} on {{ $labels.instance }} has had threads in uninterruptible sleep (state D) for %s: they wait for I/O that does not come back, and whatever they serve hangs with them.' % dur(cfg.uninterruptibleThreadsFor),
    },
    {
      alert: 'DockerEngineStorageLow',
      expr: |||
        docker_engine_storage_avail_bytes{%(dockerEngineSelector)s} / docker_engine_storage_size_bytes{%(dockerEngineSelector)s} < %(threshold)s
          or docker_engine_storage_avail_inodes{%(dockerEngineSelector)s} / docker_engine_storage_inodes{%(dockerEngineSelector)s} < %(threshold)s
      ||| % (cfg { threshold: ratio(cfg.storageLowPercent) }),
      'for': cfg.storageLowFor,
      severity: 'warning',
      summary: "The engine's {{ $labels.volume }} has {{ $value | humanizePercentage }} free on {{ $labels.instance }}",
      description: "The filesystem of the engine's {{ $labels.volume }} on {{ $labels.instance }} has had less than %s %% of its space or inodes free for %s." % [cfg.storageLowPercent, dur(cfg.storageLowFor)],
    },
    {
      alert: 'DockerEngineStorageFull',
      expr: |||
        docker_engine_storage_avail_bytes{%(dockerEngineSelector)s} / docker_engine_storage_size_bytes{%(dockerEngineSelector)s} < %(threshold)s
          or docker_engine_storage_avail_inodes{%(dockerEngineSelector)s} / docker_engine_storage_inodes{%(dockerEngineSelector)s} < %(threshold)s
      ||| % (cfg { threshold: ratio(cfg.storageFullPercent) }),
      'for': cfg.storageFullFor,
      severity: 'critical',
      summary: "The engine's {{ $labels.volume }} has {{ $value | humanizePercentage }} free on {{ $labels.instance }}",
      description: 'The filesystem of the engine\'s {{ $labels.volume }} on {{ $labels.instance }} has had less than %s %% of its space or inodes free for %s: "no space left on device" is next for image pulls, container starts, logs and the daemons\' own state.' % [cfg.storageFullPercent, dur(cfg.storageFullFor)],
    },

    // ---------------------------------------------------------------- causes from the kernel log
    // The two counters are absent where the exporter cannot read /dev/kmsg (no CAP_SYSLOG): these
    // rules are then silent, not wrong. increase() > 0 over the window, as for the restart alerts: an
    // exporter restart resets the counters to 0, which increase() does not count as a rise.
    {
      alert: 'DockerEngineOOMKilled',
      expr: 'increase(docker_engine_component_oom_kills_total{%(dockerEngineSelector)s}[%(kernelLogWindow)s]) > 0' % cfg,
      severity: 'warning',
      summary: 'The kernel OOM-killed {{ $labels.component }} on {{ $labels.instance }}',
      description: "The kernel's OOM killer killed a {{ $labels.component }} process of the watched engine on {{ $labels.instance }} in the last %s (from the kernel log). A killed dockerd or containerd restarts without its state; a killed shim leaves its container unmanaged." % dur(cfg.kernelLogWindow),
    },
    {
      alert: 'DockerEngineHungTask',
      expr: 'increase(docker_engine_component_hung_task_reports_total{%(dockerEngineSelector)s}[%(kernelLogWindow)s]) > 0' % cfg,
      severity: 'warning',
      summary: 'A {{ $labels.component }} thread hung in the kernel on {{ $labels.instance }}',
      description: "The kernel reported a thread of the watched engine's {{ $labels.component }} on {{ $labels.instance }} blocked in uninterruptible sleep for longer than kernel.hung_task_timeout_secs (120 s by default) in the last %s: usually storage (a hung disk, NFS or overlay mount) under the engine." % dur(cfg.kernelLogWindow),
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
    // Between full scans only the engine's roots and their children are read; every
    // --scan.full-interval a full scan audits that. A miss is no outage (the full scan saw the
    // process), but for up to one interval the exporter did not: worth knowing, not a page.
    {
      alert: 'DockerEngineExporterScanMissed',
      expr: 'increase(docker_engine_exporter_scan_audit_missed_total{%(dockerEngineSelector)s}[%(scanMissedWindow)s]) > 0' % cfg,
      severity: 'info',
      summary: 'docker-engine-exporter on {{ $labels.instance }} missed engine processes between full scans',
      description: "The exporter's audit on {{ $labels.instance }} found {{ $value | humanize }} engine process(es) in the last %s that its rooted scan had not reached: they were seen up to one --scan.full-interval late." % dur(cfg.scanMissedWindow),
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

  // dockerd and containerd disagreeing about containers, dockerd's own leaks, leaked proxies and
  // containerd plugins that failed to load: a group of their own. All warnings: the engine still
  // answers, but some containers (or ports) are no longer what the API says.
  dockerEngineDeepAlerts(cfg):: [
    {
      alert: 'DockerEngineStateDrift',
      expr: 'docker_engine_state_drift{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.stateDriftFor,
      severity: 'warning',
      summary: '{{ $value }} container(s) with {{ $labels.kind }} drift on {{ $labels.instance }}',
      description: 'dockerd and containerd on {{ $labels.instance }} have disagreed about {{ $value }} container(s) ({{ $labels.kind }}) for over %s: an event between them was lost. docker ps, stop and rm act on a state that is not the real one.' % dur(cfg.stateDriftFor),
    },
    {
      alert: 'DockerEngineLeakedProxies',
      expr: 'docker_engine_leaked_proxies{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.leakedProxiesFor,
      severity: 'warning',
      summary: '{{ $value }} leaked docker-proxy process(es) on {{ $labels.instance }}',
      description: '{{ $value }} docker-proxy process(es) on {{ $labels.instance }} have held a host port that no running container publishes for %s. The next container that publishes that port fails with "address already in use".' % dur(cfg.leakedProxiesFor),
    },
    {
      alert: 'DockerEngineContainerdPluginErrors',
      expr: 'docker_engine_containerd_plugin_errors{%(dockerEngineSelector)s} > 0' % cfg,
      'for': cfg.pluginErrorsFor,
      severity: 'warning',
      summary: '{{ $value }} containerd plugin(s) failed to load on {{ $labels.instance }}',
      description: '{{ $value }} containerd plugin(s) on {{ $labels.instance }} failed to initialise (a plugin that skipped itself is not counted). Whatever they provide (a snapshotter, a runtime, a service) is missing until containerd is restarted with the cause fixed.',
    },
    {
      alert: 'DockerdGoroutineLeak',
      expr: 'docker_engine_dockerd_goroutines{%(dockerEngineSelector)s} > %(goroutineLeakGoroutines)d' % cfg,
      'for': cfg.dockerdLeakFor,
      severity: 'warning',
      summary: 'dockerd runs {{ $value }} goroutines on {{ $labels.instance }}',
      description: 'dockerd on {{ $labels.instance }} has run more than %s goroutines for %s ({{ $value }}). An idle daemon runs a few dozen plus a handful per container: this is a leak, and its memory grows until dockerd is restarted.' % [lib.thousands(cfg.goroutineLeakGoroutines), dur(cfg.dockerdLeakFor)],
    },
    {
      alert: 'DockerdEventListenerLeak',
      expr: 'docker_engine_dockerd_event_listeners{%(dockerEngineSelector)s} > %(eventListenerLeakListeners)d' % cfg,
      'for': cfg.dockerdLeakFor,
      severity: 'warning',
      summary: '{{ $value }} clients subscribed to dockerd events on {{ $labels.instance }}',
      description: "More than %s clients have been subscribed to dockerd's event stream on {{ $labels.instance }} for %s ({{ $value }}). Some client opens /events and never closes it; each listener holds goroutines and memory in dockerd." % [lib.thousands(cfg.eventListenerLeakListeners), dur(cfg.dockerdLeakFor)],
    },
    {
      alert: 'DockerEngineContainersDying',
      expr: 'increase(docker_engine_container_events_total{%(dockerEngineSelector)s,type="die"}[%(containersDyingWindow)s]) > %(containersDyingDeaths)d' % cfg,
      'for': cfg.containersDyingFor,
      severity: 'warning',
      summary: 'containers died {{ $value | humanize }} times in %s on {{ $labels.instance }}' % dur(cfg.containersDyingWindow),
      description: 'dockerd on {{ $labels.instance }} reported {{ $value | humanize }} container exits (die events, OOM kills included) in the last %s, for %s: containers are crash- or OOM-looping.' % [dur(cfg.containersDyingWindow), dur(cfg.containersDyingFor)],
    },
  ],

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'docker-engine',
        rules: [lib.alertRule(a, $._config) for a in $.dockerEngineAlerts($._config)],
      },
      {
        name: 'docker-engine-deep',
        rules: [lib.alertRule(a, $._config) for a in $.dockerEngineDeepAlerts($._config)],
      },
    ],
  },
}
