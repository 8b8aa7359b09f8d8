// Recording rules: an expression an alert and a dashboard panel share, computed once.
{
  prometheusRules+:: {
    groups+: [
      {
        name: 'docker-engine.rules',
        rules: [
          // The age of the exporter's last poll when Prometheus scraped it: timestamp() is when the
          // sample was taken, so a slow scrape interval does not add to the age (`time() - x` would).
          // DockerEngineExporterStale and the "Last poll age" panel read it.
          {
            record: 'docker_engine_exporter:last_poll_age:seconds',
            expr: |||
              timestamp(docker_engine_exporter_last_poll_timestamp_seconds{%(dockerEngineSelector)s})
                - docker_engine_exporter_last_poll_timestamp_seconds{%(dockerEngineSelector)s}
            ||| % $._config,
          },
        ],
      },
    ],
  },
}
