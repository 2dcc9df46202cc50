#!/usr/bin/env python3
"""Writes the Grafana dashboards of dashboards/ (docs/grafana.md): each dashboard once for
Grafana's PostgreSQL data source (dashboards/postgresql/) and once for the SQLite data source
plugin frser-sqlite-datasource (dashboards/sqlite/), from the one description below. The two
differ only where the engines do: the time filter (PostgreSQL's $__timeFilter(time) over a
timestamptz; on SQLite `time` is epoch seconds, compared with Grafana's $__from and $__to,
milliseconds) and the shape of a query target.

Usage: tools/grafana-dashboards.py [OUTPUT_FOLDER]   (default: dashboards/ beside this folder)
Tests/PerfDBCLITests/GrafanaDashboardTests.swift runs every query of the result on both engines.
"""
import json
import os
import sys

ENGINES = {
    "postgresql": {
        "plugin": "grafana-postgresql-datasource",
        "name": "PostgreSQL",
        "time_filter": "$__timeFilter(time)",
        "round": lambda expression: f"round(({expression})::numeric, 1)::text",
    },
    "sqlite": {
        "plugin": "frser-sqlite-datasource",
        "name": "SQLite",
        "time_filter": "time >= $__from / 1000 AND time < $__to / 1000",
        "round": lambda expression: f"round({expression}, 1)",
    },
}

DATASOURCE = "${DS_PERFDB}"


def in_list(column, variable):
    return f"{column} IN (${{{variable}:singlequote}})"


def scope(*variables):
    return " AND ".join(in_list(v, v) for v in variables)


def variable(name, label, query, engine):
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": {"type": ENGINES[engine]["plugin"], "uid": DATASOURCE},
        "definition": query,
        "query": query,
        "refresh": 2,
        "multi": True,
        "includeAll": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "sort": 1,
        "hide": 0,
        "regex": "",
        "skipUrlSync": False,
    }


def datasource_variable(engine):
    return {
        "type": "datasource",
        "name": "DS_PERFDB",
        "label": "perfdb database",
        "query": ENGINES[engine]["plugin"],
        "current": {},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
    }


def target(engine, ref, sql, fmt):
    """fmt: 'time_series' (long format: time, metric, value) or 'table'."""
    source = {"type": ENGINES[engine]["plugin"], "uid": DATASOURCE}
    if engine == "postgresql":
        return {
            "refId": ref,
            "datasource": source,
            "editorMode": "code",
            "rawQuery": True,
            "format": fmt,
            "rawSql": sql,
        }
    result = {
        "refId": ref,
        "datasource": source,
        "queryType": "time series" if fmt == "time_series" else "table",
        "rawQueryText": sql,
        "queryText": sql,
        "timeColumns": ["time"],
    }
    return result


def panel(engine, ident, title, kind, queries, grid, description, unit=None, extra=None):
    """queries: [(sql, format)]."""
    result = {
        "id": ident,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": {"type": ENGINES[engine]["plugin"], "uid": DATASOURCE},
        "gridPos": grid,
        "targets": [
            target(engine, chr(ord("A") + index), sql, fmt)
            for index, (sql, fmt) in enumerate(queries)
        ],
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {},
    }
    if unit:
        result["fieldConfig"]["defaults"]["unit"] = unit
    if kind == "timeseries":
        result["options"] = {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull"]},
            "tooltip": {"mode": "multi"},
        }
        result["fieldConfig"]["defaults"]["custom"] = {"showPoints": "always", "spanNulls": True}
    if extra:
        merge(result, extra)
    return result


def merge(into, extra):
    """Merges nested dictionaries: a panel's own settings on top of the common ones."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def annotation(engine, name, sql, color):
    if engine == "postgresql":
        query = {
            "refId": "Anno",
            "editorMode": "code",
            "rawQuery": True,
            "format": "table",
            "rawSql": sql,
        }
    else:
        query = {
            "refId": "Anno",
            "queryType": "table",
            "rawQueryText": sql,
            "queryText": sql,
            "timeColumns": ["time"],
        }
    return {
        "name": name,
        "enable": True,
        "hide": False,
        "iconColor": color,
        "datasource": {"type": ENGINES[engine]["plugin"], "uid": DATASOURCE},
        "target": query,
    }


def builtin_annotation():
    return {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }


def dashboard(engine, uid, title, description, variables, panels, annotations=()):
    plugin = ENGINES[engine]
    return {
        "__inputs": [
            {
                "name": "DS_PERFDB",
                "label": "perfdb database",
                "description": f"The perfdb database ({plugin['name']})",
                "type": "datasource",
                "pluginId": plugin["plugin"],
                "pluginName": plugin["name"],
            }
        ],
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "11.0.0"},
            {
                "type": "datasource",
                "id": plugin["plugin"],
                "name": plugin["name"],
                "version": "1.0.0",
            },
        ],
        "uid": f"{uid}-{engine}",
        "title": f"{title} ({plugin['name']})",
        "description": description,
        "tags": ["perfdb", engine],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-30d", "to": "now"},
        "timepicker": {},
        "timezone": "utc",
        "refresh": "",
        "links": [],
        "annotations": {"list": [builtin_annotation(), *annotations]},
        "templating": {"list": [datasource_variable(engine), *variables]},
        "panels": panels,
    }


def load_scope_variables(engine, view, condition):
    """scenario, environment and branch of the runs in a view, each narrowed by the ones before."""
    return [
        variable(
            "scenario", "Scenario",
            f"SELECT DISTINCT scenario FROM {view} WHERE {condition} AND scenario IS NOT NULL"
            " ORDER BY 1", engine),
        variable(
            "environment", "Environment",
            f"SELECT DISTINCT environment FROM {view} WHERE {condition}"
            f" AND environment IS NOT NULL AND {scope('scenario')} ORDER BY 1", engine),
        variable(
            "branch", "Branch",
            f"SELECT DISTINCT branch FROM {view} WHERE {condition} AND branch IS NOT NULL"
            f" AND {scope('scenario', 'environment')} ORDER BY 1", engine),
    ]


def latency_series_variable(engine):
    return variable(
        "series", "Series",
        "SELECT DISTINCT series FROM v_measurement"
        " WHERE metric = 'http_req_duration' AND statistic = 'p95'"
        f" AND {scope('scenario', 'environment', 'branch')} ORDER BY 1", engine)


def grid(x, y, w=12, h=9):
    return {"x": x, "y": y, "w": w, "h": h}


def trends(engine):
    where = f"{ENGINES[engine]['time_filter']} AND {scope('scenario', 'environment', 'branch')}"

    def latency(statistic):
        return (
            "SELECT time, scenario || ': ' || series AS metric, value\nFROM v_measurement\n"
            f"WHERE {where}\n  AND {in_list('series', 'series')} AND statistic = '{statistic}'\n"
            "ORDER BY time")

    errors = (
        "SELECT time, scenario || ': ' || coalesce(endpoint, 'all requests') AS metric,\n"
        f"  100 * value AS value\nFROM v_measurement\nWHERE {where}\n"
        "  AND metric = 'http_req_failed' AND statistic = 'rate'\n"
        "ORDER BY time")
    throughput = (
        "SELECT time, scenario || ': ' || coalesce(endpoint, 'all requests') AS metric, value\n"
        f"FROM v_measurement\nWHERE {where}\n  AND metric = 'http_reqs' AND statistic = 'rate'\n"
        "ORDER BY time")
    runs = (
        "SELECT time, run_id, scenario, commit_id, build_id, branch, run_status,\n"
        "  value AS p95_ms\n"
        f"FROM v_measurement\nWHERE {where}\n"
        "  AND series = 'http_req_duration' AND statistic = 'p95'\nORDER BY time DESC")
    return dashboard(
        engine, "perfdb-trends", "perfdb: performance trends",
        "p95, p99 and error rate of each endpoint, run by run (view v_measurement).",
        [*load_scope_variables(engine, "v_run", "kind = 'load'"), latency_series_variable(engine)],
        [
            panel(engine, 1, "p95 latency", "timeseries", [(latency("p95"), "time_series")],
                  grid(0, 0), "p95 of each chosen latency series per run (v_measurement).", "ms"),
            panel(engine, 2, "p99 latency", "timeseries", [(latency("p99"), "time_series")],
                  grid(12, 0), "p99 of each chosen latency series per run (v_measurement).", "ms"),
            panel(engine, 3, "Error rate", "timeseries", [(errors, "time_series")], grid(0, 9),
                  "Share of failed requests per run (http_req_failed), per endpoint where "
                  "the tool tags one (v_measurement).", "percent"),
            panel(engine, 4, "Throughput", "timeseries", [(throughput, "time_series")],
                  grid(12, 9), "Requests per second per run (http_reqs rate, v_measurement).",
                  "reqps"),
            panel(engine, 5, "Runs", "table", [(runs, "table")], grid(0, 18, 24, 8),
                  "Each run with its commit, build and the p95 of all requests (v_measurement).",
                  None),
        ])


def slo(engine):
    where = f"{ENGINES[engine]['time_filter']} AND {scope('scenario', 'environment', 'branch')}"
    compliance = (
        "SELECT 100.0 * avg(compliant) AS value\nFROM v_slo\n"
        f"WHERE {where} AND {in_list('slo', 'slo')}")
    over_time = (
        "SELECT time, 'compliance' AS metric, 100.0 * avg(compliant) AS value\nFROM v_slo\n"
        f"WHERE {where} AND {in_list('slo', 'slo')}\nGROUP BY time\nORDER BY time")
    failing = (
        "SELECT time, priority AS metric, sum(1 - compliant) AS value\nFROM v_slo\n"
        f"WHERE {where} AND {in_list('slo', 'slo')}\nGROUP BY time, priority\nORDER BY time")
    results = (
        "SELECT time, slo, priority, status, value, comparator, target, unit, commit_id\n"
        f"FROM v_slo\nWHERE {where} AND {in_list('slo', 'slo')}\nORDER BY time DESC, slo")
    return dashboard(
        engine, "perfdb-slo", "perfdb: SLO compliance",
        "How often each SLO was met, evaluation by evaluation (view v_slo).",
        [
            *load_scope_variables(engine, "v_slo", "slo IS NOT NULL"),
            variable("slo", "SLO",
                     f"SELECT DISTINCT slo FROM v_slo WHERE {scope('scenario', 'environment', 'branch')}"
                     " ORDER BY 1", engine),
        ],
        [
            panel(engine, 1, "Compliance", "stat", [(compliance, "table")], grid(0, 0, 6, 8),
                  "Share of SLO results that met their target (PASS or WARNING) in the range "
                  "(v_slo).", "percent"),
            panel(engine, 2, "Compliance per evaluation", "timeseries",
                  [(over_time, "time_series")], grid(6, 0, 18, 8),
                  "Share of the chosen SLOs met in each evaluation, at the judged run's time "
                  "(v_slo).", "percent"),
            panel(engine, 3, "Failed SLOs by priority", "timeseries", [(failing, "time_series")],
                  grid(0, 8, 24, 8),
                  "How many SLOs of each priority (P0, P1, P2) missed their target per "
                  "evaluation (v_slo).", None),
            panel(engine, 4, "SLO results", "table", [(results, "table")], grid(0, 16, 24, 9),
                  "Every SLO result: status, actual value against target (v_slo).", None),
        ])


def chaos(engine):
    where = (f"{ENGINES[engine]['time_filter']} AND {scope('environment')}"
             f" AND {in_list('experiment', 'experiment')}")

    def figure_against_target(column, target_column):
        return [
            (f"SELECT time, experiment AS metric, {column} AS value\nFROM v_chaos\n"
             f"WHERE {where}\nORDER BY time", "time_series"),
            (f"SELECT time, experiment || ' target' AS metric, {target_column} AS value\n"
             f"FROM v_chaos\nWHERE {where} AND {target_column} IS NOT NULL\nORDER BY time",
             "time_series"),
        ]

    held = (
        "SELECT 100.0 * avg(steady_state_held) AS value\nFROM v_chaos\n"
        f"WHERE {where}")
    experiments = (
        "SELECT time, experiment, fault_type, family, outcome, mttr_s, mttr_target_s,\n"
        "  availability_pct, error_rate_pct, steady_state_held, rolled_back, commit_id\n"
        f"FROM v_chaos\nWHERE {where}\nORDER BY time DESC")
    target_style = {"fieldConfig": {"defaults": {"custom": {"showPoints": "always"}},
                                    "overrides": [{
                                        "matcher": {"id": "byRegexp", "options": ".* target"},
                                        "properties": [{"id": "custom.lineStyle",
                                                        "value": {"fill": "dash",
                                                                  "dash": [10, 10]}}]}]}}
    return dashboard(
        engine, "perfdb-chaos", "perfdb: chaos resilience",
        "MTTR, availability and error rate of each chaos experiment against its targets "
        "(view v_chaos).",
        [
            variable("environment", "Environment",
                     "SELECT DISTINCT environment FROM v_chaos WHERE environment IS NOT NULL"
                     " ORDER BY 1", engine),
            variable("experiment", "Experiment",
                     f"SELECT DISTINCT experiment FROM v_chaos WHERE {scope('environment')}"
                     " ORDER BY 1", engine),
        ],
        [
            panel(engine, 1, "MTTR against target", "timeseries",
                  figure_against_target("mttr_s", "mttr_target_s"), grid(0, 0),
                  "Time to recover per experiment run, the dashed line its target (v_chaos).",
                  "s", target_style),
            panel(engine, 2, "Availability against target", "timeseries",
                  figure_against_target("availability_pct", "availability_target_pct"),
                  grid(12, 0),
                  "Availability during the fault, the dashed line its target (v_chaos).",
                  "percent", target_style),
            panel(engine, 3, "Error rate against target", "timeseries",
                  figure_against_target("error_rate_pct", "error_rate_target_pct"), grid(0, 9),
                  "Error rate during the fault, the dashed line its target (v_chaos).",
                  "percent", target_style),
            panel(engine, 4, "Steady state held", "stat", [(held, "table")], grid(12, 9, 12, 9),
                  "Share of experiment runs whose steady state held after the fault (v_chaos).",
                  "percent"),
            panel(engine, 5, "Experiment runs", "table", [(experiments, "table")],
                  grid(0, 18, 24, 9),
                  "Every experiment run: fault, outcome, figures, rollback (v_chaos).", None),
        ])


def verdicts(engine):
    filter_ = ENGINES[engine]["time_filter"]
    where = f"{filter_} AND {scope('scenario', 'environment', 'branch')}"
    rounded = ENGINES[engine]["round"]("change_pct")
    latency = (
        "SELECT time, series AS metric, value\nFROM v_measurement\n"
        f"WHERE {where}\n  AND {in_list('series', 'series')} AND statistic = 'p95'\n"
        "ORDER BY time")
    regressions_note = (
        "SELECT time, 'regression: ' || series || ' ' || statistic || ' +' || "
        f"{rounded} || ' %' AS text,\n  verdict AS tags\nFROM v_verdict\n"
        f"WHERE {where}\n  AND level = 'series' AND verdict = 'regression'\n"
        f"  AND {in_list('series', 'series')}\nORDER BY time")
    counts = (
        "SELECT time, verdict AS metric, count(*) AS value\nFROM v_verdict\n"
        f"WHERE {where} AND level = 'series'\nGROUP BY time, verdict\nORDER BY time")
    table = (
        "SELECT time, commit_id, build_id, series, statistic, verdict, value, baseline_value,\n"
        "  change_pct, scope\nFROM v_verdict\n"
        f"WHERE {where}\n  AND level = 'series' AND verdict IN ('regression', 'warning')\n"
        "ORDER BY time DESC, series")
    runs = (
        "SELECT time, run_id, commit_id, build_id, verdict, scope\nFROM v_verdict\n"
        f"WHERE {where} AND level = 'run'\nORDER BY time DESC")
    return dashboard(
        engine, "perfdb-verdicts", "perfdb: gate verdicts",
        "The verdicts `perfdb check` stored, regressions marked on the latency they judged "
        "(views v_verdict and v_measurement).",
        [*load_scope_variables(engine, "v_verdict", "level = 'run'"),
         latency_series_variable(engine)],
        [
            panel(engine, 1, "p95 latency with regressions", "timeseries",
                  [(latency, "time_series")], grid(0, 0, 24, 9),
                  "p95 of the chosen series per run (v_measurement); each regression the gate "
                  "raised on them is an annotation (v_verdict).", "ms"),
            panel(engine, 2, "Verdicts per run", "timeseries", [(counts, "time_series")],
                  grid(0, 9, 12, 8),
                  "How many series the gate judged ok, improved, warning, regression or "
                  "insufficient-data in each run (v_verdict).", None,
                  {"fieldConfig": {"defaults": {"custom": {"drawStyle": "bars",
                                                           "stacking": {"mode": "normal"}}},
                                   "overrides": []}}),
            panel(engine, 3, "Run verdicts", "table", [(runs, "table")], grid(12, 9, 12, 8),
                  "The overall verdict of each checked run (v_verdict, level run).", None),
            panel(engine, 4, "Regressions and warnings", "table", [(table, "table")],
                  grid(0, 17, 24, 9),
                  "Each series the gate flagged, with its value, baseline and change (v_verdict).",
                  None),
        ],
        [annotation(engine, "Regressions", regressions_note, "red")])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "dashboards")
    for engine in ENGINES:
        folder = os.path.join(root, engine)
        os.makedirs(folder, exist_ok=True)
        for name, make in [("trends", trends), ("slo", slo), ("chaos", chaos),
                           ("verdicts", verdicts)]:
            with open(os.path.join(folder, f"perfdb-{name}.json"), "w") as file:
                json.dump(make(engine), file, indent=2)
                file.write("\n")


if __name__ == "__main__":
    main()
