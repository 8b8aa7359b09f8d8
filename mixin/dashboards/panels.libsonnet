// The dashboard's panels, top to bottom, one object per panel (rows are panels of type "row").
// dashboards.libsonnet numbers them in this order and points every panel and query at the
// $datasource variable; every query selects job=~"$job",instance=~"$instance" (Grafana's
// dashboard-linter conventions), so _config's selector only narrows the variables' choices.
// To add a panel: append an object with type, title, description, gridPos (24 columns wide, below
// the last row), fieldConfig.defaults.unit and targets [{refId, expr, legendFormat}].
[
  // row: Chain at a glance
  {
    "type": "row",
    "title": "Chain at a glance",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 0
    },
    "panels": []
  },
  // stat: dockerd
  {
    "type": "stat",
    "title": "dockerd",
    "description": "dockerd: UP when its process runs and its socket answers, UNRESPONSIVE when the process runs but does not answer within the probe timeout (hung), DOWN when no process of the watched engine runs.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_up{job=~\"$job\",instance=~\"$instance\",component=\"dockerd\"} + docker_engine_component_healthy{job=~\"$job\",instance=~\"$instance\",component=\"dockerd\"}",
        "legendFormat": "dockerd",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [
          {
            "type": "value",
            "options": {
              "0": {
                "text": "DOWN",
                "color": "red",
                "index": 0
              },
              "1": {
                "text": "UNRESPONSIVE",
                "color": "orange",
                "index": 1
              },
              "2": {
                "text": "UP",
                "color": "green",
                "index": 2
              }
            }
          }
        ],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "red",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            },
            {
              "color": "green",
              "value": 2
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value",
      "colorMode": "background",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 5,
      "w": 4,
      "x": 0,
      "y": 1
    }
  },
  // stat: containerd
  {
    "type": "stat",
    "title": "containerd",
    "description": "containerd: UP when its process runs and its socket answers, UNRESPONSIVE when the process runs but does not answer within the probe timeout (hung), DOWN when no process of the watched engine runs.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_up{job=~\"$job\",instance=~\"$instance\",component=\"containerd\"} + docker_engine_component_healthy{job=~\"$job\",instance=~\"$instance\",component=\"containerd\"}",
        "legendFormat": "containerd",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [
          {
            "type": "value",
            "options": {
              "0": {
                "text": "DOWN",
                "color": "red",
                "index": 0
              },
              "1": {
                "text": "UNRESPONSIVE",
                "color": "orange",
                "index": 1
              },
              "2": {
                "text": "UP",
                "color": "green",
                "index": 2
              }
            }
          }
        ],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "red",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            },
            {
              "color": "green",
              "value": 2
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value",
      "colorMode": "background",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 5,
      "w": 4,
      "x": 4,
      "y": 1
    }
  },
  // stat: containerd-shim
  {
    "type": "stat",
    "title": "containerd-shim",
    "description": "Shim processes of the watched containerd (one per container), and those whose container is no task in any watched namespace (orphaned).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"containerd-shim\"}",
        "legendFormat": "shims",
        "range": false,
        "instant": true
      },
      {
        "refId": "B",
        "expr": "docker_engine_orphan_shims{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "orphaned",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "text",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "orphaned"
          },
          "properties": [
            {
              "id": "thresholds",
              "value": {
                "mode": "absolute",
                "steps": [
                  {
                    "color": "green",
                    "value": null
                  },
                  {
                    "color": "orange",
                    "value": 1
                  }
                ]
              }
            }
          ]
        }
      ]
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value_and_name",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 5,
      "w": 4,
      "x": 8,
      "y": 1
    }
  },
  // stat: runc
  {
    "type": "stat",
    "title": "runc",
    "description": "runc processes (short-lived: create, start, kill, delete), and those older than the stuck-after age or in uninterruptible sleep (stuck).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"runc\"}",
        "legendFormat": "running",
        "range": false,
        "instant": true
      },
      {
        "refId": "B",
        "expr": "docker_engine_stuck_runc_processes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "stuck",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "text",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "stuck"
          },
          "properties": [
            {
              "id": "thresholds",
              "value": {
                "mode": "absolute",
                "steps": [
                  {
                    "color": "green",
                    "value": null
                  },
                  {
                    "color": "red",
                    "value": 1
                  }
                ]
              }
            }
          ]
        }
      ]
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value_and_name",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 5,
      "w": 4,
      "x": 12,
      "y": 1
    }
  },
  // stat: docker-proxy
  {
    "type": "stat",
    "title": "docker-proxy",
    "description": "docker-proxy processes (one per published port while dockerd runs its userland proxy), and published ports without one (missing).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"docker-proxy\"}",
        "legendFormat": "proxies",
        "range": false,
        "instant": true
      },
      {
        "refId": "B",
        "expr": "docker_engine_missing_proxies{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "missing",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "text",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "missing"
          },
          "properties": [
            {
              "id": "thresholds",
              "value": {
                "mode": "absolute",
                "steps": [
                  {
                    "color": "green",
                    "value": null
                  },
                  {
                    "color": "orange",
                    "value": 1
                  }
                ]
              }
            }
          ]
        }
      ]
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value_and_name",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 5,
      "w": 4,
      "x": 16,
      "y": 1
    }
  },
  // stat: docker-init
  {
    "type": "stat",
    "title": "docker-init",
    "description": "docker-init (tini) processes: PID 1 of every container started with --init.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"docker-init\"}",
        "legendFormat": "docker-init",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "text",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 5,
      "w": 4,
      "x": 20,
      "y": 1
    }
  },
  // stat: Engine
  {
    "type": "stat",
    "title": "Engine",
    "description": "Versions the exporter read from dockerd and containerd, and how containerd runs: managed (a child of dockerd), system (its own daemon) or none (embedded in dockerd).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_info{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "dockerd {{dockerd_version}} · containerd {{containerd_version}} ({{containerd_mode}}) · runc {{runc_version}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "name",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 3,
      "w": 16,
      "x": 0,
      "y": 6
    }
  },
  // stat: Tasks
  {
    "type": "stat",
    "title": "Tasks",
    "description": "containerd tasks (containers) in the watched namespaces, all states.",
    "targets": [
      {
        "refId": "A",
        "expr": "sum(docker_engine_tasks{job=~\"$job\",instance=~\"$instance\"})",
        "legendFormat": "tasks",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 3,
      "w": 4,
      "x": 16,
      "y": 6
    }
  },
  // stat: Zombie processes
  {
    "type": "stat",
    "title": "Zombie processes",
    "description": "Zombie processes in the engine's process tree: exited, not reaped by their parent.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_zombie_processes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "zombies",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 3,
      "w": 4,
      "x": 20,
      "y": 6
    }
  },
  // row: Restarts and downtime
  {
    "type": "row",
    "title": "Restarts and downtime",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 9
    },
    "panels": []
  },
  // state-timeline: dockerd and containerd over time
  {
    "type": "state-timeline",
    "title": "dockerd and containerd over time",
    "description": "UP (running and answering), UNRESPONSIVE (running, not answering) or DOWN (no process), as scraped.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_up{job=~\"$job\",instance=~\"$instance\",component=~\"dockerd|containerd\"} + docker_engine_component_healthy{job=~\"$job\",instance=~\"$instance\",component=~\"dockerd|containerd\"}",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "mappings": [
          {
            "type": "value",
            "options": {
              "0": {
                "text": "DOWN",
                "color": "red",
                "index": 0
              },
              "1": {
                "text": "UNRESPONSIVE",
                "color": "orange",
                "index": 1
              },
              "2": {
                "text": "UP",
                "color": "green",
                "index": 2
              }
            }
          }
        ],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "red",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            },
            {
              "color": "green",
              "value": 2
            }
          ]
        },
        "custom": {
          "fillOpacity": 80,
          "lineWidth": 0
        },
        "unit": "none"
      },
      "overrides": []
    },
    "options": {
      "mergeValues": true,
      "showValue": "auto",
      "alignValue": "left",
      "rowHeight": 0.8,
      "legend": {
        "displayMode": "list",
        "placement": "bottom",
        "showLegend": true
      },
      "tooltip": {
        "mode": "single",
        "sort": "none"
      }
    },
    "gridPos": {
      "h": 5,
      "w": 24,
      "x": 0,
      "y": 10
    }
  },
  // stat: Restarts in range
  {
    "type": "stat",
    "title": "Restarts in range",
    "description": "New dockerd and containerd processes seen in the dashboard's time range (increase() of the restart counter, rounded).",
    "targets": [
      {
        "refId": "A",
        "expr": "round(increase(docker_engine_component_restarts_total{job=~\"$job\",instance=~\"$instance\"}[$__range]))",
        "legendFormat": "{{component}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value_and_name",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 6,
      "w": 6,
      "x": 0,
      "y": 15
    }
  },
  // stat: Time down in range
  {
    "type": "stat",
    "title": "Time down in range",
    "description": "How long each daemon had no process, in the dashboard's time range, at the scrape's resolution: outages shorter than a scrape interval may not show.",
    "targets": [
      {
        "refId": "A",
        "expr": "(1 - avg_over_time(docker_engine_component_up{job=~\"$job\",instance=~\"$instance\",component=~\"dockerd|containerd\"}[$__range])) * $__range_s",
        "legendFormat": "{{component}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value_and_name",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 6,
      "w": 6,
      "x": 6,
      "y": 15
    }
  },
  // stat: Current process age
  {
    "type": "stat",
    "title": "Current process age",
    "description": "How long the current dockerd and containerd processes have run.",
    "targets": [
      {
        "refId": "A",
        "expr": "time() - docker_engine_component_start_time_seconds{job=~\"$job\",instance=~\"$instance\",component=~\"dockerd|containerd\"}",
        "legendFormat": "{{component}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value_and_name",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 6,
      "w": 6,
      "x": 12,
      "y": 15
    }
  },
  // timeseries: Restarts
  {
    "type": "timeseries",
    "title": "Restarts",
    "description": "New dockerd and containerd processes per interval.",
    "targets": [
      {
        "refId": "A",
        "expr": "increase(docker_engine_component_restarts_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "bars",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 80,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "sum"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 6,
      "w": 6,
      "x": 18,
      "y": 15
    }
  },
  // timeseries: Kernel: OOM kills and hung tasks
  {
    "type": "timeseries",
    "title": "Kernel: OOM kills and hung tasks",
    "description": "Engine processes the kernel's OOM killer killed, and kernel hung-task reports about the engine's threads, per interval (from /dev/kmsg; empty where the exporter cannot read it).",
    "targets": [
      {
        "refId": "A",
        "expr": "increase(docker_engine_component_oom_kills_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "OOM kill: {{component}}",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "increase(docker_engine_component_hung_task_reports_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "hung task: {{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "bars",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 80,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "sum"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 6,
      "w": 24,
      "x": 0,
      "y": 21
    }
  },
  // row: Probe latency
  {
    "type": "row",
    "title": "Probe latency",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 27
    },
    "panels": []
  },
  // timeseries: Probe duration
  {
    "type": "timeseries",
    "title": "Probe duration",
    "description": "How long each probe of dockerd's Engine API and containerd's gRPC API took (a failed probe takes up to the probe timeout).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_probe_duration_seconds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{probe}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 0,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 0,
      "y": 28
    }
  },
  // state-timeline: Probe result
  {
    "type": "state-timeline",
    "title": "Probe result",
    "description": "Whether each probe succeeded.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_probe_success{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{probe}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "mappings": [
          {
            "type": "value",
            "options": {
              "0": {
                "text": "failed",
                "color": "red",
                "index": 0
              },
              "1": {
                "text": "ok",
                "color": "green",
                "index": 1
              }
            }
          }
        ],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "red",
              "value": null
            },
            {
              "color": "green",
              "value": 1
            }
          ]
        },
        "custom": {
          "fillOpacity": 80,
          "lineWidth": 0
        },
        "unit": "none"
      },
      "overrides": []
    },
    "options": {
      "mergeValues": true,
      "showValue": "auto",
      "alignValue": "left",
      "rowHeight": 0.8,
      "legend": {
        "displayMode": "list",
        "placement": "bottom",
        "showLegend": true
      },
      "tooltip": {
        "mode": "single",
        "sort": "none"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 12,
      "y": 28
    }
  },
  // bargauge: Slowest probe in range
  {
    "type": "bargauge",
    "title": "Slowest probe in range",
    "description": "The longest each probe took in the dashboard's time range, as scraped.",
    "targets": [
      {
        "refId": "A",
        "expr": "max_over_time(docker_engine_probe_duration_seconds{job=~\"$job\",instance=~\"$instance\"}[$__range])",
        "legendFormat": "{{probe}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "min": 0,
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            },
            {
              "color": "orange",
              "value": 0.5
            },
            {
              "color": "red",
              "value": 2
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "displayMode": "basic",
      "orientation": "horizontal",
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "showUnfilled": true,
      "valueMode": "color",
      "namePlacement": "left",
      "sizing": "auto",
      "minVizHeight": 16,
      "minVizWidth": 8,
      "maxVizHeight": 300
    },
    "gridPos": {
      "h": 6,
      "w": 12,
      "x": 0,
      "y": 36
    }
  },
  // bargauge: Probe success in range
  {
    "type": "bargauge",
    "title": "Probe success in range",
    "description": "Share of scrapes in the dashboard's time range at which each probe had succeeded.",
    "targets": [
      {
        "refId": "A",
        "expr": "avg_over_time(docker_engine_probe_success{job=~\"$job\",instance=~\"$instance\"}[$__range])",
        "legendFormat": "{{probe}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "percentunit",
        "min": 0,
        "max": 1,
        "decimals": 1,
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "red",
              "value": null
            },
            {
              "color": "orange",
              "value": 0.99
            },
            {
              "color": "green",
              "value": 1
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "displayMode": "basic",
      "orientation": "horizontal",
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "showUnfilled": true,
      "valueMode": "color",
      "namePlacement": "left",
      "sizing": "auto",
      "minVizHeight": 16,
      "minVizWidth": 8,
      "maxVizHeight": 300
    },
    "gridPos": {
      "h": 6,
      "w": 12,
      "x": 12,
      "y": 36
    }
  },
  // row: Shims and tasks
  {
    "type": "row",
    "title": "Shims and tasks",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 42
    },
    "panels": []
  },
  // timeseries: Shims
  {
    "type": "timeseries",
    "title": "Shims",
    "description": "containerd-shim processes of the watched containerd, and orphaned ones (no task in any watched namespace).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"containerd-shim\"}",
        "legendFormat": "shims",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_orphan_shims{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "orphaned",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "orphaned"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 0,
      "y": 43
    }
  },
  // timeseries: Tasks by status
  {
    "type": "timeseries",
    "title": "Tasks by status",
    "description": "containerd tasks per namespace and status, from Tasks/List.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_tasks{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{namespace}} {{status}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 40,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "normal",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 8,
      "y": 43
    }
  },
  // timeseries: Task exits and OOM kills
  {
    "type": "timeseries",
    "title": "Task exits and OOM kills",
    "description": "Task exits and OOM kills per namespace and interval, from containerd's event stream.",
    "targets": [
      {
        "refId": "A",
        "expr": "increase(docker_engine_task_exits_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "exits {{namespace}}",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "increase(docker_engine_task_oom_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "OOM kills {{namespace}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "bars",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 80,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "sum"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 16,
      "y": 43
    }
  },
  // row: runc and proxies
  {
    "type": "row",
    "title": "runc and proxies",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 51
    },
    "panels": []
  },
  // timeseries: runc
  {
    "type": "timeseries",
    "title": "runc",
    "description": "runc processes and stuck ones (older than the stuck-after age, or in uninterruptible sleep). Short-lived runc runs between scrapes do not show.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"runc\"}",
        "legendFormat": "runc",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_stuck_runc_processes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "stuck",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "stuck"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "red"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 0,
      "y": 52
    }
  },
  // timeseries: docker-proxy
  {
    "type": "timeseries",
    "title": "docker-proxy",
    "description": "docker-proxy processes, and published ports without one.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"docker-proxy\"}",
        "legendFormat": "proxies",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_missing_proxies{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "missing",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "missing"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 8,
      "y": 52
    }
  },
  // timeseries: docker-init and zombies
  {
    "type": "timeseries",
    "title": "docker-init and zombies",
    "description": "docker-init processes (containers started with --init), and zombie processes in the engine's tree.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_processes{job=~\"$job\",instance=~\"$instance\",component=\"docker-init\"}",
        "legendFormat": "docker-init",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_zombie_processes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "zombies",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "zombies"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 16,
      "y": 52
    }
  },
  // row: Resources per component
  {
    "type": "row",
    "title": "Resources per component",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 60
    },
    "panels": []
  },
  // timeseries: CPU
  {
    "type": "timeseries",
    "title": "CPU",
    "description": "CPU time used per second by each component's processes together (1 = one core).",
    "targets": [
      {
        "refId": "A",
        "expr": "rate(docker_engine_component_cpu_seconds_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "short",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "cores",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 0,
      "y": 61
    }
  },
  // timeseries: Resident memory
  {
    "type": "timeseries",
    "title": "Resident memory",
    "description": "Resident memory of each component's processes together.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_resident_memory_bytes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "bytes",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 12,
      "y": 61
    }
  },
  // timeseries: Open file descriptors
  {
    "type": "timeseries",
    "title": "Open file descriptors",
    "description": "Open file descriptors of each component's processes together (needs root or CAP_SYS_PTRACE to read other users' processes).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_open_fds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 0,
      "y": 69
    }
  },
  // timeseries: Threads
  {
    "type": "timeseries",
    "title": "Threads",
    "description": "Threads of each component's processes together.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_threads{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 12,
      "y": 69
    }
  },
  // row: Exporter health
  {
    "type": "row",
    "title": "Exporter health",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 77
    },
    "panels": []
  },
  // stat: Scrape
  {
    "type": "stat",
    "title": "Scrape",
    "description": "Whether Prometheus's last scrape of the exporter succeeded.",
    "targets": [
      {
        "refId": "A",
        "expr": "up{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{job}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [
          {
            "type": "value",
            "options": {
              "0": {
                "text": "FAILING",
                "color": "red",
                "index": 0
              },
              "1": {
                "text": "OK",
                "color": "green",
                "index": 1
              }
            }
          }
        ],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "red",
              "value": null
            },
            {
              "color": "green",
              "value": 1
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "value",
      "colorMode": "background",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 4,
      "w": 4,
      "x": 0,
      "y": 78
    }
  },
  // stat: Last poll age
  {
    "type": "stat",
    "title": "Last poll age",
    "description": "Age of the exporter's last poll of the engine when Prometheus scraped it. Over three poll intervals, its metrics are frozen (DockerEngineExporterStale).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_exporter:last_poll_age:seconds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "age",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "decimals": 2,
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            },
            {
              "color": "orange",
              "value": 3
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 4,
      "w": 4,
      "x": 4,
      "y": 78
    }
  },
  // stat: Poll interval
  {
    "type": "stat",
    "title": "Poll interval",
    "description": "The exporter's configured poll interval (--poll.interval).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_exporter_poll_interval_seconds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "interval",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 4,
      "w": 4,
      "x": 8,
      "y": 78
    }
  },
  // stat: Exporter version
  {
    "type": "stat",
    "title": "Exporter version",
    "description": "docker-engine-exporter's version.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_exporter_build_info{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{version}}",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "name",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 4,
      "w": 4,
      "x": 12,
      "y": 78
    }
  },
  // stat: Exporter uptime
  {
    "type": "stat",
    "title": "Exporter uptime",
    "description": "How long the exporter process has run.",
    "targets": [
      {
        "refId": "A",
        "expr": "time() - process_start_time_seconds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "uptime",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 4,
      "w": 4,
      "x": 16,
      "y": 78
    }
  },
  // stat: Exporter memory
  {
    "type": "stat",
    "title": "Exporter memory",
    "description": "Resident memory of the exporter process.",
    "targets": [
      {
        "refId": "A",
        "expr": "process_resident_memory_bytes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "rss",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "bytes",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "none",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 4,
      "w": 4,
      "x": 20,
      "y": 78
    }
  },
  // timeseries: Poll duration
  {
    "type": "timeseries",
    "title": "Poll duration",
    "description": "How long one poll of the engine (process scan and probes) took: median, 99th percentile and mean per interval.",
    "targets": [
      {
        "refId": "A",
        "expr": "histogram_quantile(0.5, sum by (le) (rate(docker_engine_exporter_poll_duration_seconds_bucket{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])))",
        "legendFormat": "p50",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "histogram_quantile(0.99, sum by (le) (rate(docker_engine_exporter_poll_duration_seconds_bucket{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])))",
        "legendFormat": "p99",
        "range": true,
        "instant": false
      },
      {
        "refId": "C",
        "expr": "rate(docker_engine_exporter_poll_duration_seconds_sum{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval]) / rate(docker_engine_exporter_poll_duration_seconds_count{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "mean",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "s",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 0,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 0,
      "y": 82
    }
  },
  // timeseries: Poll errors
  {
    "type": "timeseries",
    "title": "Poll errors",
    "description": "Errors per interval while polling, by source (procfs, containerd, dockerd …): read failures are counted, not fatal.",
    "targets": [
      {
        "refId": "A",
        "expr": "increase(docker_engine_exporter_poll_errors_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "{{source}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "bars",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 80,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "sum"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 8,
      "y": 82
    }
  },
  // timeseries: Exporter CPU and open files
  {
    "type": "timeseries",
    "title": "Exporter CPU and open files",
    "description": "CPU used by the exporter process (1 = one core) and its open file descriptors (right axis).",
    "targets": [
      {
        "refId": "A",
        "expr": "rate(process_cpu_seconds_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "CPU",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "process_open_fds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "open fds",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "short",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 0,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "open fds"
          },
          "properties": [
            {
              "id": "custom.axisPlacement",
              "value": "right"
            },
            {
              "id": "decimals",
              "value": 0
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 8,
      "x": 16,
      "y": 82
    }
  },
  // timeseries: Process scans and audit misses
  {
    "type": "timeseries",
    "title": "Process scans and audit misses",
    "description": "Process scans per second by kind (rooted: the engine's roots and their children; full: every pid, and why), and engine processes a full scan's audit found that the rooted scan had missed (DockerEngineExporterScanMissed).",
    "targets": [
      {
        "refId": "A",
        "expr": "sum by (kind, reason) (rate(docker_engine_exporter_scans_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval]))",
        "legendFormat": "{{kind}} {{reason}}",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "increase(docker_engine_exporter_scan_audit_missed_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "missed by the rooted scan",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "short",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 0,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 24,
      "x": 0,
      "y": 90
    }
  },
  // row: Headroom
  {
    "type": "row",
    "title": "Headroom",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 98
    },
    "panels": []
  },
  // timeseries: File descriptors against the limit
  {
    "type": "timeseries",
    "title": "File descriptors against the limit",
    "description": "Highest open fds / soft fd limit of any process of each component. DockerEngineFdsNearLimit warns at 80 %, DockerEngineFdsExhausted pages at 95 %.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_worst_fd_ratio{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "percentunit",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        },
        "max": 1
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 0,
      "y": 99
    }
  },
  // timeseries: Threads and pids against their caps
  {
    "type": "timeseries",
    "title": "Threads and pids against their caps",
    "description": "Each cap on threads or pids that applies to the engine, used / cap (docs/runbook.md says where each comes from). DockerEngineTasksNearLimit at 80 %, DockerEngineTasksExhausted at 95 %.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_task_limit_ratio{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{limit}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "percentunit",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        },
        "max": 1
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 12,
      "y": 99
    }
  },
  // timeseries: Threads stuck in the kernel (state D)
  {
    "type": "timeseries",
    "title": "Threads stuck in the kernel (state D)",
    "description": "Threads of each component in uninterruptible sleep. Brief D is ordinary I/O; the same threads in D for minutes wait on storage that does not answer (DockerEngineThreadsUninterruptible).",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_uninterruptible_threads{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{component}}",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 0,
      "y": 107
    }
  },
  // timeseries: Free space and inodes of the engine's places
  {
    "type": "timeseries",
    "title": "Free space and inodes of the engine's places",
    "description": "Share of space and of inodes free on the filesystem of each place the engine writes to (data root, exec root, containerd's root and state). DockerEngineStorageLow below 10 %, DockerEngineStorageFull below 5 %.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_storage_avail_bytes{job=~\"$job\",instance=~\"$instance\"} / docker_engine_storage_size_bytes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{volume}} space",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_storage_avail_inodes{job=~\"$job\",instance=~\"$instance\"} / docker_engine_storage_inodes{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{volume}} inodes",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "percentunit",
        "min": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        },
        "max": 1
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 12,
      "y": 107
    }
  },
  // timeseries: Limits in force and what counts against them
  {
    "type": "timeseries",
    "title": "Limits in force and what counts against them",
    "description": "The daemons' soft fd limits (/proc/PID/limits), and each thread or pid cap with its current use: the figures behind the two ratio panels above.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_component_max_fds{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{component}} fd limit",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_task_limit{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{limit}}",
        "range": true,
        "instant": false
      },
      {
        "refId": "C",
        "expr": "docker_engine_task_limit_used{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{limit}} used",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "short",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "linear",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 24,
      "x": 0,
      "y": 115
    }
  },
  // row: Drift and deep health
  {
    "type": "row",
    "title": "Drift and deep health",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 123
    },
    "panels": []
  },
  // timeseries: State drift
  {
    "type": "timeseries",
    "title": "State drift",
    "description": "Containers on which dockerd and containerd have disagreed for 10 s or more, by kind (docs/runbook.md#dockerenginestatedrift).",
    "gridPos": {
      "h": 8,
      "w": 6,
      "x": 0,
      "y": 124
    },
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "orphaned"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_state_drift{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "{{kind}}"
      }
    ]
  },
  // timeseries: Container events
  {
    "type": "timeseries",
    "title": "Container events",
    "description": "die, oom and health_status events on dockerd's event stream.",
    "gridPos": {
      "h": 8,
      "w": 6,
      "x": 6,
      "y": 124
    },
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "orphaned"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "targets": [
      {
        "refId": "A",
        "expr": "increase(docker_engine_container_events_total{job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
        "legendFormat": "{{type}}"
      }
    ]
  },
  // timeseries: dockerd goroutines and event listeners
  {
    "type": "timeseries",
    "title": "dockerd goroutines and event listeners",
    "description": "From /info: NGoroutines and NEventsListener, dockerd's own leak signals.",
    "gridPos": {
      "h": 8,
      "w": 6,
      "x": 12,
      "y": 124
    },
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "orphaned"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_dockerd_goroutines{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "goroutines"
      },
      {
        "refId": "B",
        "expr": "docker_engine_dockerd_event_listeners{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "event listeners"
      }
    ]
  },
  // timeseries: Leaked proxies and plugin errors
  {
    "type": "timeseries",
    "title": "Leaked proxies and plugin errors",
    "description": "docker-proxy processes serving no published port; containerd plugins that failed to load.",
    "gridPos": {
      "h": 8,
      "w": 6,
      "x": 18,
      "y": 124
    },
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "orphaned"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_leaked_proxies{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "leaked proxies"
      },
      {
        "refId": "B",
        "expr": "docker_engine_containerd_plugin_errors{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "plugin errors"
      }
    ]
  },
  // row: Wedged containers and hung shims
  {
    "type": "row",
    "title": "Wedged containers and hung shims",
    "collapsed": false,
    "gridPos": {
      "h": 1,
      "w": 24,
      "x": 0,
      "y": 132
    },
    "panels": []
  },
  // timeseries: Containers and shims that do not answer
  {
    "type": "timeseries",
    "title": "Containers and shims that do not answer",
    "description": "From the per-container sweep (every --sweep.interval): running containers whose inspect does not answer while dockerd does, shims that do not answer their task's state while containerd does, and shims whose RUNNING task has no process. The container ids are on the exporter's status page and in `check`.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_unresponsive_containers{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "unresponsive containers",
        "range": true,
        "instant": false
      },
      {
        "refId": "B",
        "expr": "docker_engine_unresponsive_shims{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "unresponsive shims",
        "range": true,
        "instant": false
      },
      {
        "refId": "C",
        "expr": "docker_engine_childless_shims{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "childless shims",
        "range": true,
        "instant": false
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "min": 0,
        "decimals": 0,
        "color": {
          "mode": "palette-classic"
        },
        "custom": {
          "drawStyle": "line",
          "lineInterpolation": "stepAfter",
          "lineWidth": 1,
          "fillOpacity": 10,
          "showPoints": "never",
          "spanNulls": false,
          "axisLabel": "",
          "stacking": {
            "mode": "none",
            "group": "A"
          }
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            }
          ]
        }
      },
      "overrides": [
        {
          "matcher": {
            "id": "byName",
            "options": "unresponsive containers"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "red"
              }
            }
          ]
        },
        {
          "matcher": {
            "id": "byName",
            "options": "unresponsive shims"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "orange"
              }
            }
          ]
        },
        {
          "matcher": {
            "id": "byName",
            "options": "childless shims"
          },
          "properties": [
            {
              "id": "color",
              "value": {
                "mode": "fixed",
                "fixedColor": "yellow"
              }
            }
          ]
        }
      ]
    },
    "options": {
      "legend": {
        "displayMode": "table",
        "placement": "bottom",
        "showLegend": true,
        "calcs": [
          "lastNotNull",
          "max"
        ]
      },
      "tooltip": {
        "mode": "multi",
        "sort": "desc"
      }
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 0,
      "y": 133
    }
  },
  // stat: Unresponsive containers
  {
    "type": "stat",
    "title": "Unresponsive containers",
    "description": "Running containers whose inspect did not answer in the last sweep while dockerd answers: calls on them hang (docker stop, logs, rm -f). Their ids are on the exporter's status page.",
    "targets": [
      {
        "refId": "A",
        "expr": "docker_engine_unresponsive_containers{job=~\"$job\",instance=~\"$instance\"}",
        "legendFormat": "unresponsive containers",
        "range": false,
        "instant": true
      }
    ],
    "fieldConfig": {
      "defaults": {
        "unit": "none",
        "mappings": [],
        "color": {
          "mode": "thresholds"
        },
        "thresholds": {
          "mode": "absolute",
          "steps": [
            {
              "color": "green",
              "value": null
            },
            {
              "color": "orange",
              "value": 1
            }
          ]
        }
      },
      "overrides": []
    },
    "options": {
      "reduceOptions": {
        "calcs": [
          "lastNotNull"
        ],
        "fields": "",
        "values": false
      },
      "orientation": "auto",
      "textMode": "auto",
      "colorMode": "value",
      "graphMode": "none",
      "justifyMode": "auto",
      "wideLayout": true,
      "showPercentChange": false
    },
    "gridPos": {
      "h": 8,
      "w": 12,
      "x": 12,
      "y": 133
    }
  },
]
