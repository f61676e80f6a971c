"""Query-stage benchmark: the whole quarterly series, as dtto's query stage
runs it (every table for every quarter of its series, the period and a year
earlier, and the single quarters making them up), by dtto on DataFusion, and
the same (table, parameters) executions of the same SQL files by DuckDB on
the same Parquet, in the same run.

Which executions: mirrors pipeline/crates/query/src/lib.rs (`quarters`,
`run_tables`), pipeline/crates/query/src/parameters.rs (`Parameters::new`,
`Parameters::single_quarter`), the windows of queries/windows.toml
(`Windows::used_by`) and pipeline/crates/model/src/period.rs
(`Period::first_covering`, `year_ending`, `quarter`, `through`).

Usage: python3 bench/queries.py DTTO_BINARY DELIVERY_DIR WORK_DIR PERIOD"""

import datetime
import glob
import json
import os
import re
import subprocess
import sys
import time
import tomllib

import duckdb

# (window, quarters back), as queries/windows.toml declares them, in order.
with open("queries/windows.toml", "rb") as declared:
    WINDOWS = [(w["name"], w["quarters_back"]) for w in tomllib.load(declared)["window"]]


class Period:
    """A quarter, as pipeline/crates/model/src/period.rs has it: an index year*4+quarter-1."""

    def __init__(self, index):
        self.index = index

    @classmethod
    def parse(cls, text):
        return cls(int(text[:4]) * 4 + int(text[5]) - 1)

    @classmethod
    def of(cls, date):
        return cls(date.year * 4 + (date.month - 1) // 3)

    def __str__(self):
        return f"{self.index // 4}Q{self.index % 4 + 1}"

    def __eq__(self, other):
        return self.index == other.index

    def __lt__(self, other):
        return self.index < other.index

    def __le__(self, other):
        return self.index <= other.index

    def __hash__(self):
        return self.index

    def earlier(self, quarters):
        return Period(self.index - quarters)

    def end(self):
        year, quarter = self.index // 4, self.index % 4 + 1
        first_of_next = datetime.date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
        return first_of_next - datetime.timedelta(days=1)

    def year_ending(self, back):
        """The 12 months ending with the quarter `back` before this one."""
        return self.earlier(back + 4).end() + datetime.timedelta(days=1), self.earlier(back).end()

    def quarter(self):
        """The quarter's own three months."""
        return self.earlier(1).end() + datetime.timedelta(days=1), self.end()

    def through(self, last):
        return [Period(i) for i in range(self.index, last.index + 1)]

    @classmethod
    def first_covering(cls, begins, back):
        """The first quarter whose 12 months ending `back` before it start
        on or after `begins`."""
        of = cls.of(begins)
        first_whole = of if of.quarter()[0] == begins else of.earlier(-1)
        return first_whole.earlier(-(3 + back))


def parameters(period, as_at, single):
    """Parameters::new (single=False) or Parameters::single_quarter."""
    values = {"as_at": as_at}
    for name, back in WINDOWS:
        start, end = period.earlier(back).quarter() if single else period.year_ending(back)
        values[f"{name}_start"], values[f"{name}_end"] = start, end
    return values


def used_parameters(sql):
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return set(re.findall(r"\$([a-z0-9_]+)", without_comments))


def window_of(used):
    """The one window whose both ends the query uses (Windows::used_by)."""
    touched = [(name, back) for name, back in WINDOWS
               if f"{name}_start" in used or f"{name}_end" in used]
    if len(touched) != 1:
        return None
    name, back = touched[0]
    return (name, back) if {f"{name}_start", f"{name}_end"} <= used else None


def quarters(period, window, begins):
    """query::quarters: (series_from, windows, singles)."""
    series_from = None
    if window is not None and begins is not None:
        series_from = Period.first_covering(begins, window[1])
        if not series_from <= period:
            series_from = None
    windows = set(series_from.through(period)) if series_from else set()
    windows |= {period.earlier(4), period}
    windows = sorted(windows)
    singles = sorted({s for q in windows for s in q.earlier(3).through(q)}) if window else []
    return series_from, windows, singles


def runs(queries, period, as_at, begins):
    """Every (table, kind, quarter, parameters) dtto's query stage runs;
    kind: 'period' (the period and a year earlier), 'series' (the other
    quarters of the series) or 'single' (a single quarter)."""
    plan, firsts = [], {}
    for path in sorted(glob.glob(f"{queries}/tables/*.sql")):
        sql = open(path).read()
        used = used_parameters(sql)
        window = window_of(used)
        series_from, windows, singles = quarters(period, window, begins)
        if window:
            firsts[window[0]] = series_from
        for q in windows:
            kind = "period" if q in (period, period.earlier(4)) else "series"
            plan.append((path, sql, used, kind, q, parameters(q, as_at, single=False)))
        for q in singles:
            plan.append((path, sql, used, "single", q, parameters(q, as_at, single=True)))
    return plan, firsts


def duckdb_run(warehouse, queries, period, as_at):
    con = duckdb.connect()
    for name in ["orders", "assessments", "drug_tests", "reconvictions", "treatment_episodes"]:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{warehouse}/{name}/*.parquet')")
    for path in sorted(glob.glob(f"{queries}/reference/*.csv")):
        name = os.path.basename(path)[:-4]
        # Typed as DataFusion infers them: integers, decimals, text (DuckDB
        # would otherwise read the Y/N codes of yes_no.csv as booleans).
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true, "
                    f"auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])")
    # Views computed once and kept, as dtto does; the time counts, as does
    # finding the first commencement (dtto's query stage does both).
    start = time.perf_counter()
    for path in sorted(glob.glob(f"{queries}/views/*.sql")):
        name = re.sub(r"^[0-9_]+", "", os.path.basename(path)[:-4])
        con.execute(f"CREATE TABLE {name} AS {open(path).read()}")
    begins = con.execute("SELECT min(commencement_date) FROM orders").fetchone()[0]
    setup = time.perf_counter() - start
    plan, firsts = runs(queries, period, as_at, begins)
    seconds = {"period": 0.0, "series": 0.0, "single": 0.0}
    counts = {"period": 0, "series": 0, "single": 0}
    failures, failed = [], set()
    for path, sql, used, kind, quarter, values in plan:
        counts[kind] += 1
        if path in failed:
            continue
        start = time.perf_counter()
        try:
            con.execute(sql, {k: v for k, v in values.items() if k in used}).fetchall()
        except duckdb.Error as e:
            failures.append(f"{os.path.basename(path)} ({kind} {quarter}): {str(e).splitlines()[0]}")
            failed.add(path)
        seconds[kind] += time.perf_counter() - start
    return setup, seconds, counts, failures, begins, firsts


def whole_run(work, run_seconds, duckdb_seconds, reused_ingest):
    """The whole-run line: each side's load (bench/ingest.py) added to its run."""
    if not reused_ingest:
        return "whole run: not measured (the run ingested the delivery again; run bench/ingest.py first)"
    try:
        with open(f"{work}/ingest-seconds.json") as f:
            load = json.load(f)
    except FileNotFoundError:
        return "whole run: no ingest times (bench/ingest.py writes them)"
    ours, theirs = load["dtto"] + run_seconds, load["duckdb"] + duckdb_seconds
    return (f"whole run, CSV delivery to publication: dtto ingest + run {ours:.2f} s; DuckDB load + "
            f"the same SQL {theirs:.2f} s; ratio {ours / theirs:.2f}x (goal: below 1.0x)")


def main():
    dtto, delivery, work, period_text = sys.argv[1:5]
    period = Period.parse(period_text)
    warehouse_root = f"{work}/warehouse"
    start = time.perf_counter()
    ran = subprocess.run(
        [dtto, "run", "--extract", delivery, "--warehouse", warehouse_root, "--period", period_text,
         "--output", f"{work}/output"],
        check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    out = ran.stdout
    # bench/ingest.py has ingested this delivery; a run that ingested it
    # again (it reports each file's rows read) would count the ingest twice
    # in the whole-run figure.
    reused_ingest = "rows read" not in ran.stderr
    ours = float(re.search(r"computed in ([0-9.]+) s", out).group(1))
    current = open(f"{warehouse_root}/current").read().strip()
    as_at = datetime.date.fromisoformat(re.search(r'"as_at": "([0-9-]+)"',
                                                  open(f"{warehouse_root}/deliveries/{current}/ingest.json").read()).group(1))
    setup, seconds, counts, failures, begins, firsts = duckdb_run(
        f"{warehouse_root}/deliveries/{current}", "queries", period, as_at)
    n = sum(counts.values())
    duck = setup + sum(seconds.values())
    ms = lambda s, k: f"{1000 * s / k:8.1f} ms/query" if k else ""
    print(f"\nQuery stage, period {period}, the WHOLE QUARTERLY SERIES ({delivery}): every table for every quarter")
    print(f"of its series, the period and a year earlier, and the single quarters making them up: {n} queries")
    print(f"(first commencement {begins}; series from " +
          ", ".join(f"{q} ({w})" for w, q in firsts.items()) + ")")
    print(f"{'dtto (DataFusion), whole series':<40}{ours:>8.2f} s {ms(ours, n)}   (whole dtto run {wall:.2f} s)")
    print(f"{'DuckDB, the same ' + str(n) + ' queries':<40}{duck:>8.2f} s {ms(duck, n)}")
    print(f"ratio dtto / DuckDB: {ours / duck:.2f}x (goal: below 1.0x)")
    print(whole_run(work, wall, duck, reused_ingest))
    print("DuckDB split (views and the first commencement once, then the queries one at a time):")
    for label, s, k in [("views, once", setup, 0),
                        ("period and a year earlier", seconds["period"], counts["period"]),
                        ("the rest of the series", seconds["series"], counts["series"]),
                        ("single quarters", seconds["single"], counts["single"])]:
        print(f"  {label:<28}{k or '':>5}{s:>8.2f} s {ms(s, k)}")
    print(f"  the period alone (views + period and a year earlier) {setup + seconds['period']:.2f} s; "
          f"the series adds {sum(seconds.values()) - seconds['period']:.2f} s")
    for failure in failures:
        print(f"not portable to DuckDB: {failure}")


if __name__ == "__main__":
    main()
