"""Ingest benchmark: our validated ingest beside DuckDB's plain typed load of
the same delivery into zstd Parquet, in the same run, once as generated and
once with the drug tests in random order. Prints wall time (the median of
three tries each, taken in turns), MB/s, rows/s and peak RSS for each, and
the ratios; leaves both sides' times (as generated)
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


ROUNDS = 3


def median(tries):
    """The median wall time of (seconds, peak RSS) tries, and the largest
    peak RSS of any."""
    times = sorted(t for t, _ in tries)
    return times[len(times) // 2], max(rss for _, rss in tries)


def main():
    dtto, delivery, shuffled, work = sys.argv[1:5]
    with open(f"{delivery}/extract.toml", "rb") as f:
        rows = sum(tomllib.load(f)["rows"].values())
    size_mb = sum(os.path.getsize(f"{delivery}/{n}.csv") for n in FILES) / 1e6
    os.makedirs(f"{work}/duckdb", exist_ok=True)

    def ours(extract):
        return measure([[dtto, "ingest", "--extract", extract, "--warehouse", f"{work}/warehouse", "--force"]])

    def duckdb(extract):
        return measure(
            [[sys.executable, "-c", DUCKDB_LOAD, extract, f"{work}/duckdb", n, column_types(extract, n)] for n in FILES]
        )

    # A single load's time on this machine varies by a tenth from one try
    # to the next: each side is timed ROUNDS times, the four loads taking
    # turns so that a slow spell falls on both, and the median is kept.
    tries = {"ours": [], "shuffled": [], "duck": [], "duck_shuffled": []}
    for _ in range(ROUNDS):
        tries["ours"].append(ours(delivery))
        tries["duck"].append(duckdb(delivery))
        tries["shuffled"].append(ours(shuffled))
        tries["duck_shuffled"].append(duckdb(shuffled))
    (ours_time, _), (shuffled_time, _), (duck_time, _), (duck_shuffled_time, _) = (
        median(tries[k]) for k in ("ours", "shuffled", "duck", "duck_shuffled"))

    print(f"\nIngest of {size_mb:,.0f} MB, {rows:,} rows ({delivery}); median of {ROUNDS} tries each")
    print(f"{'':<36}{'wall s':>9}{'MB/s':>9}{'rows/s':>13}{'peak RSS MiB':>15}   tries s")
    for label, key in [("dtto ingest (validated)", "ours"),
                       ("dtto ingest, tests in random order", "shuffled"),
                       ("DuckDB COPY to Parquet (plain)", "duck"),
                       ("DuckDB, tests in random order", "duck_shuffled")]:
        t, rss = median(tries[key])
        spread = ", ".join(f"{s:.2f}" for s, _ in tries[key])
        print(f"{label:<36}{t:>9.2f}{size_mb / t:>9.1f}{rows / t:>13,.0f}{rss:>15,.0f}   {spread}")
    print(f"ratio dtto / DuckDB: {ours_time / duck_time:.2f}x (goal: below 1.0x); "
          f"tests in random order, both: {shuffled_time / duck_shuffled_time:.2f}x (goal: below 1.0x)")
    # The whole-run ratio (bench/queries.py) adds each side's load to its queries.
    with open(f"{work}/ingest-seconds.json", "w") as f:
        json.dump({"dtto": ours_time, "duckdb": duck_time}, f)


if __name__ == "__main__":
    main()
