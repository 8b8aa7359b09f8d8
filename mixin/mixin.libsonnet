// docker-engine-exporter's monitoring mixin: alert rules, recording rules and a Grafana dashboard
// for the Docker engine's own processes. Import it, override _config (config.libsonnet), and
// generate prometheusAlerts, prometheusRules and grafanaDashboards (README.md here says how).
(import 'config.libsonnet') +
(import 'alerts.libsonnet') +
(import 'rules.libsonnet') +
(import 'dashboards.libsonnet')
