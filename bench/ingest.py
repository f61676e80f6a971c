"""Ingest benchmark: our validated ingest beside DuckDB's plain typed load of
the same delivery into zstd Parquet, in the same run, once as generated and
once with the drug tests in random order. Prints wall time, MB/s, rows/s and
peak RSS for each, and the ratios; leaves both sides' times (as generated)
for the whole-run ratio that bench/queries.py prints.

Usage: python3 bench/ingest.py DTTO_BINARY DELIVERY_DIR SHUFFLED_DIR WORK_DIR
(SHUFFLED_DIR: the same delivery with its drug tests in random order)"""

import json
import os
import subprocess
import sys
import time
import tomllib

DUCKDB_LOAD = r"""
import sys, duckdb
delivery, out, name, columns = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
types = dict(c.split(':') for c in columns.split(','))
spec = '{' + ', '.join(f"'{c}': '{t}'" for c, t in types.items()) + '}'
duckdb.sql(f"COPY (SELECT * FROM read_csv('{delivery}/{name}.csv', header = true, columns = {spec})) "
           f"TO '{out}/{name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
"""

FILES = ["orders", "assessments", "drug_tests", "reconvictions", "treatment_episodes"]


def column_types(delivery, name):
    """Typed columns as the contract has them: dates, integers, text."""
    with open(f"{delivery}/{name}.csv", encoding="utf-8-sig") as f:
        header = f.readline().strip().split(",")
    def kind(column):
        if column.endswith("_date"):
            return "DATE"
        if column in ("age", "length_months"):
            return "INTEGER"
        return "VARCHAR"
    return ",".join(f"{c}:{kind(c)}" for c in header)


def measure(commands):
    """Wall seconds for running the commands in turn, and the largest peak
    RSS (MiB) of any of them, read from each child's own resource usage."""
    peak = 0
    start = time.perf_counter()
    for command in commands:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if status != 0:
            sys.exit(f"{command[0]} failed with status {status}")
        peak = max(peak, usage.ru_maxrss)
    return time.perf_counter() - start, peak / 1024


def main():
    dtto, delivery, shuffled, work = sys.argv[1:5]
    with open(f"{delivery}/extract.toml", "rb") as f:
        rows = sum(tomllib.load(f)["rows"].values())
    size_mb = sum(os.path.getsize(f"{delivery}/{n}.csv") for n in FILES) / 1e6
    os.makedirs(f"{work}/duckdb", exist_ok=True)

    def ours(extract):
        return measure([[dtto, "ingest", "--extract", extract, "--warehouse", f"{work}/warehouse", "--force"]])

    ours_time, ours_rss = ours(delivery)
    shuffled_time, shuffled_rss = ours(shuffled)
    def duckdb(extract):
        return measure(
            [[sys.executable, "-c", DUCKDB_LOAD, extract, f"{work}/duckdb", n, column_types(extract, n)] for n in FILES]
        )

    duck_time, duck_rss = duckdb(delivery)
    duck_shuffled_time, duck_shuffled_rss = duckdb(shuffled)

    print(f"\nIngest of {size_mb:,.0f} MB, {rows:,} rows ({delivery})")
    print(f"{'':<36}{'wall s':>9}{'MB/s':>9}{'rows/s':>13}{'peak RSS MiB':>15}")
    for label, t, rss in [("dtto ingest (validated)", ours_time, ours_rss),
                          ("dtto ingest, tests in random order", shuffled_time, shuffled_rss),
                          ("DuckDB COPY to Parquet (plain)", duck_time, duck_rss),
                          ("DuckDB, tests in random order", duck_shuffled_time, duck_shuffled_rss)]:
        print(f"{label:<36}{t:>9.2f}{size_mb / t:>9.1f}{rows / t:>13,.0f}{rss:>15,.0f}")
    print(f"ratio dtto / DuckDB: {ours_time / duck_time:.2f}x (goal: below 1.0x); "
          f"tests in random order, both: {shuffled_time / duck_shuffled_time:.2f}x (goal: below 1.0x)")
    # The whole-run ratio (bench/queries.py) adds each side's load to its queries.
    with open(f"{work}/ingest-seconds.json", "w") as f:
        json.dump({"dtto": ours_time, "duckdb": duck_time}, f)


if __name__ == "__main__":
    main()
