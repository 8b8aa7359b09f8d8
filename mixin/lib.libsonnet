// Small helpers the alerts and the dashboard share.
local units = { s: ['second', 'seconds'], m: ['minute', 'minutes'], h: ['hour', 'hours'] };

// '30s' → ['30', 'seconds'], '1m' → ['1', 'minute']: a single-unit Prometheus duration.
local split(d) =
  local n = std.parseInt(std.substr(d, 0, std.length(d) - 1));
  local u = units[std.substr(d, std.length(d) - 1, 1)];
  [n, if n == 1 then u[0] else u[1]];

{
  // '30s' → '30 seconds', '1m' → 'a minute'.
  humanDuration(d):: local p = split(d); if p[0] == 1 then 'a ' + p[1] else '%d %s' % p,
  // '1m' → 'minute', '2m' → '2 minutes' (after "another").
  humanDurationBare(d):: local p = split(d); if p[0] == 1 then p[1] else '%d %s' % p,
  // 10000 → '10,000' (up to 999,999).
  thousands(n):: if n < 1000 then std.toString(n) else '%d,%03d' % [std.floor(n / 1000), n % 1000],
  numberWord(n):: if n >= 0 && n <= 10 then ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][n] else std.toString(n),

  // An alert object of alerts.libsonnet as a Prometheus rule: severity as a label, summary,
  // description and runbook_url as annotations, multi-line expressions kept as they are written.
  alertRule(a, cfg):: {
    alert: a.alert,
    expr: a.expr,
    [if std.objectHas(a, 'for') then 'for']: a['for'],
    labels: { severity: a.severity },
    annotations: {
      summary: a.summary,
      description: a.description,
      runbook_url: cfg.runbookUrlFormat % std.asciiLower(a.alert),
    },
  },
}
