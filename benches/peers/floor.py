"""The floor of the national benchmark (« plancher »): what no tool doing this
job can skip, with nothing computed. It reads every source's mapped columns
as text (polars' CSV reader, the one bcs uses) and writes a table of the
results' size in the results' formats (Parquet, and CSV when the contract
wants one: see common.csv_wanted).

The table written is bcs's own results table, read beforehand, outside the
measure; the script prints the measured seconds (reading + writing) on
standard output, as JSON, for benches/compare.py.
"""
import argparse
import json
import time

import polars as pl

from common import Config, csv_wanted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--results", required=True, help="results.parquet de bcs : la table à écrire")
    ap.add_argument("--out", required=True, help="chemin sans extension")
    a = ap.parse_args()
    cfg = Config(a.dataset, a.project)
    table = pl.read_parquet(a.results)

    start = time.perf_counter()
    rows = 0
    for s in cfg.sources:
        frame = pl.read_csv(s.path, separator=s.delimiter, columns=s.columns(), infer_schema=False)
        rows += frame.height
        del frame
    read = time.perf_counter() - start
    start = time.perf_counter()
    table.write_parquet(a.out + ".parquet", compression="snappy", row_group_size=65_536)  # as bcs
    if csv_wanted(table.height):
        table.write_csv(a.out + ".csv")
    write = time.perf_counter() - start
    print(json.dumps({"read": read, "write": write, "source_rows": rows, "result_rows": table.height}))


if __name__ == "__main__":
    main()
