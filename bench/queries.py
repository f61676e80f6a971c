"""Query-stage benchmark: every table of one period (and its year-earlier
comparison) by dtto on DataFusion, and the same SQL files run by DuckDB on the
same Parquet, in the same run.

Usage: python3 bench/queries.py DTTO_BINARY DELIVERY_DIR WORK_DIR PERIOD"""

import datetime
import glob
import os
import re
import subprocess
import sys
import time

import duckdb


def quarter_end(year, quarter):
    first_of_next = datetime.date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def earlier(year, quarter, back):
    index = year * 4 + quarter - 1 - back
    return index // 4, index % 4 + 1


def parameters(year, quarter, as_at):
    """The same windows dtto computes (pipeline/src/query/parameters.rs)."""
    def window(back):
        start = quarter_end(*earlier(year, quarter, back + 4)) + datetime.timedelta(days=1)
        return start, quarter_end(*earlier(year, quarter, back))
    values = {"as_at": as_at}
    for name, back in [("year", 0), ("lagged", 1), ("reconviction_1y", 6), ("reconviction_2y", 10)]:
        values[f"{name}_start"], values[f"{name}_end"] = window(back)
    return values


def duckdb_run(warehouse, queries, year, quarter, as_at):
    con = duckdb.connect()
    for name in ["orders", "assessments", "drug_tests", "reconvictions", "treatment_episodes"]:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{warehouse}/{name}/*.parquet')")
    for path in sorted(glob.glob(f"{queries}/reference/*.csv")):
        name = os.path.basename(path)[:-4]
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true)")
    # Views computed once and kept, as dtto does; the time counts.
    start = time.perf_counter()
    for path in sorted(glob.glob(f"{queries}/views/*.sql")):
        name = re.sub(r"^[0-9_]+", "", os.path.basename(path)[:-4])
        con.execute(f"CREATE TABLE {name} AS {open(path).read()}")
    failures = []
    for path in sorted(glob.glob(f"{queries}/tables/*.sql")):
        sql = open(path).read()
        used = set(re.findall(r"\$([a-z0-9_]+)", sql))
        for y, q in [(year, quarter), earlier(year, quarter, 4)]:
            values = {k: v for k, v in parameters(y, q, as_at).items() if k in used}
            try:
                con.execute(sql, values).fetchall()
            except duckdb.Error as e:
                failures.append(f"{os.path.basename(path)}: {str(e).splitlines()[0]}")
                break
    return time.perf_counter() - start, failures


def main():
    dtto, delivery, work, period = sys.argv[1:5]
    year, quarter = int(period[:4]), int(period[5])
    warehouse_root = f"{work}/warehouse"
    start = time.perf_counter()
    out = subprocess.run(
        [dtto, "run", "--extract", delivery, "--warehouse", warehouse_root, "--period", period,
         "--output", f"{work}/output"],
        check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    ours = float(re.search(r"computed in ([0-9.]+) s", out).group(1))
    current = open(f"{warehouse_root}/current").read().strip()
    as_at = datetime.date.fromisoformat(re.search(r'"as_at": "([0-9-]+)"',
                                                  open(f"{warehouse_root}/deliveries/{current}/ingest.json").read()).group(1))
    duck, failures = duckdb_run(f"{warehouse_root}/deliveries/{current}", "queries", year, quarter, as_at)
    print(f"\nQuery stage, period {period}: every table for the period and a year earlier ({delivery})")
    print(f"{'dtto (DataFusion), tables and statistics':<44}{ours:>8.2f} s   (whole dtto run {wall:.2f} s)")
    print(f"{'DuckDB, the same SQL files':<44}{duck:>8.2f} s")
    print(f"ratio dtto / DuckDB: {ours / duck:.2f}x (goal: below 1)")
    for failure in failures:
        print(f"not portable to DuckDB: {failure}")


if __name__ == "__main__":
    main()
