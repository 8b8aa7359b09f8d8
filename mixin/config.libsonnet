// What an operator sets when importing the mixin: override any field with
//   (import 'mixin.libsonnet') + { _config+:: { dockerEngineSelector: 'job="docker-hosts"' } }
{
  _config+:: {
    // Label matchers, without braces, that select the exporter's series (and its targets' `up`)
    // in every rule, and the jobs the dashboard offers.
    dockerEngineSelector: 'job="docker-engine"',

    // How long each condition lasts before its alert fires (docs/runbook.md says why each is what it is).
    daemonDownFor: '30s',  // longer than dockerd's ~10 s restart of a managed containerd
    daemonUnresponsiveFor: '30s',
    orphanShimsFor: '5m',
    runcStuckFor: '1m',
    proxyMissingFor: '2m',
    // A container or shim that does not answer for one or two sweeps is one being stopped under load.
    containerUnresponsiveFor: '1m',
    shimUnresponsiveFor: '1m',
    shimChildlessFor: '5m',
    zombiesFor: '15m',
    exporterDownFor: '1m',
    exporterStaleFor: '1m',
    // A miss of the rooted process scan is worth a ticket while it is recent, not a page.
    scanMissedWindow: '15m',

    // Headroom, in whole percent: a share of a limit in use (fds against RLIMIT_NOFILE, threads and
    // pids against their caps) warns above the first while there is time, and pages above the second
    // when the next burst fails. Storage warns and pages below its free shares.
    headroomWarnPercent: 80,
    headroomWarnFor: '5m',
    headroomCriticalPercent: 95,
    headroomCriticalFor: '1m',
    uninterruptibleThreadsFor: '5m',  // brief D is ordinary I/O; minutes of it is storage that does not answer
    storageLowPercent: 10,
    storageLowFor: '5m',
    storageFullPercent: 5,
    storageFullFor: '1m',
    // The window the kernel-log alerts (OOM kills, hung-task reports) look back over.
    kernelLogWindow: '15m',

    // Deep health and drift (the docker-engine-deep group).
    stateDriftFor: '2m',
    leakedProxiesFor: '5m',
    pluginErrorsFor: '5m',
    dockerdLeakFor: '30m',
    goroutineLeakGoroutines: 10000,  // an idle dockerd runs a few dozen, plus a handful per container
    eventListenerLeakListeners: 500,
    containersDyingWindow: '10m',
    containersDyingDeaths: 30,
    containersDyingFor: '5m',

    // Restarts: the window the restart alerts look back over, and how many restarts in it are a crash loop.
    restartWindow: '15m',
    crashLoopRestarts: 3,
    // The exporter is stale when its last poll is older than this many poll intervals.
    stalePollIntervals: 3,

    // runbook_url of every alert: %s is the alert's name in lower case (the runbook's anchor).
    runbookUrlFormat: 'docs/runbook.md#%s',

    dashboardUid: 'docker-engine',
    dashboardTitle: 'Docker engine',
    dashboardTags: ['docker', 'containerd', 'docker-engine-exporter'],
    dashboardRefresh: '30s',
  },
}
