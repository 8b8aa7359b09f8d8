// The Grafana dashboard: the panels of dashboards/panels.libsonnet under a datasource, a job and an
// instance variable, as Grafana's dashboard-linter asks (template-datasource/job/instance rules:
// variables on $datasource, multi-select, allValue ".+"; panel-datasource rule: every panel and
// query on $datasource). Written out in Grafana's export format (__inputs names the datasource a
// user picks on import).
local panels = import 'dashboards/panels.libsonnet';

local datasource = { type: 'prometheus', uid: '${datasource}' };

local queryVariable(name, label, query) = {
  name: name,
  label: label,
  type: 'query',
  datasource: datasource,
  definition: query,
  query: { query: query, refId: 'StandardVariableQuery' },
  current: {},
  hide: 0,
  includeAll: true,
  allValue: '.+',
  multi: true,
  options: [],
  refresh: 2,  // on time range change: hosts come and go
  regex: '',
  skipUrlSync: false,
  sort: 1,
};

// Ids in panel order; the datasource on every panel and query that has none.
local withDatasource(p) =
  p + (if p.type == 'row' then {} else {
         datasource: datasource,
         targets: [t { datasource: datasource } for t in p.targets],
       });

{
  grafanaDashboards+:: {
    'docker-engine.json': {
      __inputs: [
        {
          name: 'DS_PROMETHEUS',
          label: 'Prometheus',
          description: 'The Prometheus that scrapes docker-engine-exporter',
          type: 'datasource',
          pluginId: 'prometheus',
          pluginName: 'Prometheus',
        },
      ],
      __elements: {},
      __requires: [
        { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
        { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
        { type: 'panel', id: 'stat', name: 'Stat', version: '' },
        { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
        { type: 'panel', id: 'state-timeline', name: 'State timeline', version: '' },
        { type: 'panel', id: 'bargauge', name: 'Bar gauge', version: '' },
      ],
      annotations: {
        list: [
          {
            builtIn: 1,
            datasource: { type: 'grafana', uid: '-- Grafana --' },
            enable: true,
            hide: true,
            iconColor: 'rgba(0, 211, 255, 1)',
            name: 'Annotations & Alerts',
            type: 'dashboard',
          },
          {
            datasource: datasource,
            enable: true,
            hide: false,
            iconColor: 'orange',
            name: 'Restarts',
            expr: 'increase(docker_engine_component_restarts_total{job=~"$job",instance=~"$instance"}[1m]) > 0',
            step: '30s',
            titleFormat: '{{component}} restarted',
            textFormat: '',
            useValueForTime: false,
          },
        ],
      },
      description: "The Docker engine's own machinery on one host: dockerd, containerd, shims, runc, docker-proxy and docker-init (docker-engine-exporter).",
      editable: true,
      fiscalYearStartMonth: 0,
      graphTooltip: 1,
      id: null,
      links: [],
      panels: [withDatasource(p) { id: i + 1 } for i in std.range(0, std.length(panels) - 1) for p in [panels[i]]],
      refresh: $._config.dashboardRefresh,
      schemaVersion: 39,
      tags: $._config.dashboardTags,
      templating: {
        list: [
          {
            name: 'datasource',
            label: 'Data source',
            type: 'datasource',
            query: 'prometheus',
            regex: '',
            current: { selected: false, text: '${DS_PROMETHEUS}', value: '${DS_PROMETHEUS}' },
            hide: 0,
            includeAll: false,
            multi: false,
            options: [],
            refresh: 1,
            skipUrlSync: false,
          },
          queryVariable('job', 'Job', 'label_values(docker_engine_component_up{%(dockerEngineSelector)s}, job)' % $._config),
          queryVariable('instance', 'Instance', 'label_values(docker_engine_component_up{%(dockerEngineSelector)s,job=~"$job"}, instance)' % $._config),
        ],
      },
      time: { from: 'now-3h', to: 'now' },
      timepicker: {},
      timezone: '',
      title: $._config.dashboardTitle,
      uid: $._config.dashboardUid,
      version: 1,
      weekStart: '',
    },
  },
}
