"""Runs bcs and its peers (a polars script, DuckDB, pandas) on the same
synthetic national dataset, in turn, and prints wall time, peak memory and
ratios to bcs and to the floor (« plancher »: reading the sources' mapped
columns and writing a table of the results' size, nothing computed); checks
on a sample of rows that every peer computes the same values as bcs.

Usage: benches/run.sh (installs the peers, builds bcs, generates the data).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STATUS = {"ok": 0, "missing": 1, "not_aggregable": 2, "secret": 3}


def measure(cmd, env=None):
    """Wall time (s) and peak resident memory (MiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if status != 0:
        sys.exit(f"échec de {' '.join(cmd)} :\n{err}")
    return wall, usage.ru_maxrss / 1024


def fr(x, d=1):
    return f"{x:,.{d}f}".replace(",", "\u202f").replace(".", ",")


def same_results(bcs_file, peer_file, name, sample=50_000):
    """Compares a peer's results with bcs's on a seeded sample of rows."""
    b = pd.read_parquet(bcs_file)
    b = b[b["vintage"].notna()]
    p = pd.read_parquet(peer_file)
    keys = ["territory_code", "indicator", "vintage"]
    b["vintage"] = b["vintage"].astype(int)
    p["vintage"] = p["vintage"].astype(int)
    b = b[b["indicator"].isin(set(p["indicator"]))]
    if len(b) != len(p):
        sys.exit(f"{name} : {len(p)} lignes, bcs {len(b)} (hors lignes absentes et indices composites)")
    rows = b.sample(n=min(sample, len(b)), random_state=1)
    ref = b[b["territory_code"] == b["reference_code"].iloc[0]]
    rows = pd.concat([rows, ref]).drop_duplicates(keys)
    m = rows.merge(p, on=keys, how="left", suffixes=("", "_peer"), indicator=True)
    if (m["_merge"] != "both").any():
        sys.exit(f"{name} : {(m['_merge'] != 'both').sum()} lignes de bcs absentes")
    problems = []
    st = m["status"].map(STATUS)
    if (st != m["status_peer"]).any():
        problems.append(f"statut différent sur {(st != m['status_peer']).sum()} lignes")
    for c in ["value", "evol_abs", "evol_pct", "gap_reference", "rank", "rank_total", "prev_vintage"]:
        x, y = m[c].astype(float).to_numpy(), m[c + "_peer"].astype(float).to_numpy()
        bad = ~((np.isnan(x) & np.isnan(y)) | np.isclose(x, y, rtol=1e-9, atol=1e-9))
        if bad.any():
            i = np.argmax(bad)
            problems.append(f"{c} différent sur {bad.sum()} lignes (ex. {m[keys].iloc[i].tolist()} : {x[i]} / {y[i]})")
    if problems:
        sys.exit(f"{name} : résultats différents de bcs :\n  " + "\n  ".join(problems))
    return len(m)


def measure_floor(a, work, py):
    """The floor's reading and writing times (median of its runs, after the
    untimed ones), measured inside its process: the table it writes is
    bcs's results, loaded outside the measure."""
    cmd = [
        py, os.path.join(HERE, "peers", "floor.py"), "--dataset", a.data, "--project", ROOT,
        "--results", os.path.join(work, "bcs", "results.parquet"), "--out", os.path.join(work, "plancher"),
    ]
    runs = []
    for i in range(a.warmup + a.runs):
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        if i >= a.warmup:
            runs.append(json.loads(done.stdout))
    runs.sort(key=lambda r: r["read"] + r["write"])
    mid = runs[len(runs) // 2]
    return dict(mid, total=mid["read"] + mid["write"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bcs", required=True, help="binaire bcs (profil release)")
    ap.add_argument("--data", required=True, help="jeu synthétique (bcs synth)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="exécutions non mesurées avant les mesures, par outil")
    ap.add_argument("--commune", default="Denain")
    a = ap.parse_args()
    work = os.path.join(a.data, "bench-out")
    cache = os.path.join(a.data, ".bcs-cache")
    os.makedirs(work, exist_ok=True)
    py = sys.executable
    bcs = [a.bcs, "--dataset", a.data]
    tools = {
        "bcs": lambda: bcs + ["run", "--results-only", "--out", os.path.join(work, "bcs")],
        "polars": lambda: [py, os.path.join(HERE, "peers", "polars_peer.py"), "--dataset", a.data, "--project", ROOT, "--out", os.path.join(work, "polars")],
        "duckdb": lambda: [py, os.path.join(HERE, "peers", "duckdb_peer.py"), "--dataset", a.data, "--project", ROOT, "--out", os.path.join(work, "duckdb")],
        "pandas": lambda: [py, os.path.join(HERE, "peers", "pandas_peer.py"), "--dataset", a.data, "--project", ROOT, "--out", os.path.join(work, "pandas")],
    }
    sizes = sum(os.path.getsize(os.path.join(a.data, "sources", f)) for f in os.listdir(os.path.join(a.data, "sources")))
    print(f"Jeu SYNTHÉTIQUE {a.data} : {fr(sizes / 2**20, 0)} Mio de CSV ; {a.runs} exécution(s) mesurée(s) par outil après {a.warmup} non mesurée(s), médiane.\n")
    timings = {}
    for name, cmd in tools.items():
        # Untimed runs first, as hyperfine's --warmup: the first run after the
        # build otherwise pays for the memory the compiler left to the kernel.
        for _ in range(a.warmup):
            shutil.rmtree(cache, ignore_errors=True)
            measure(cmd())
        runs = []
        for _ in range(a.runs):
            shutil.rmtree(cache, ignore_errors=True)  # from the raw CSV every time
            runs.append(measure(cmd()))
        timings[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))
        print(f"  {name:<8} {fr(timings[name][0], 2)} s", file=sys.stderr)
    floor = measure_floor(a, work, py)
    print(f"  plancher {fr(floor['total'], 2)} s", file=sys.stderr)
    # bcs from its Parquet cache, and a terminal query.
    subprocess.run(bcs + ["import"], check=True, stdout=subprocess.DEVNULL)
    extra = {
        "bcs run, résultats en cache (relit le cache, copie le Parquet)": bcs
        + ["run", "--results-only", "--out", os.path.join(work, "bcs-cache")],
        "bcs rank taux_pauvrete --level commune (cache)": bcs + ["rank", "taux_pauvrete", "--level", "commune", "--format", "csv"],
        f"bcs show {a.commune} (cache)": bcs + ["show", a.commune, "--level", "commune"],
    }
    def without_results_cache():
        for f in os.listdir(cache):
            if f.startswith("resultats-"):
                os.remove(os.path.join(cache, f))

    # Sources from their Parquet cache (bcs import), results recomputed.
    name = "bcs run, sources en cache Parquet (résultats recalculés)"
    runs = []
    for _ in range(a.runs):
        without_results_cache()
        runs.append(measure(bcs + ["run", "--results-only", "--out", os.path.join(work, "bcs-sources")]))
    timings[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))
    for name, cmd in extra.items():
        runs = [measure(cmd) for _ in range(a.runs)]
        timings[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))

    peers = [p for p in tools if p != "bcs"]
    checked = {p: same_results(os.path.join(work, "bcs", "results.parquet"), os.path.join(work, p + ".parquet"), p) for p in peers}
    t_bcs, t_floor = timings["bcs"][0], floor["total"]
    print(f"Même travail (tout le pipeline depuis les CSV bruts, {a.runs} exécutions, médiane) :\n")
    print("| Outil | Durée (s) | Mémoire max (Mio) | Durée / bcs | Durée / plancher |")
    print("|---|---:|---:|---:|---:|")
    print(f"| plancher (lire les colonnes utiles, écrire une table de la taille des résultats) | {fr(t_floor, 2)} | – | {fr(t_floor / t_bcs, 1)} | 1,0 |")
    for name, (wall, mem) in timings.items():
        ratio = fr(wall / t_bcs, 1) if name in tools else "–"
        print(f"| {name} | {fr(wall, 2)} | {fr(mem, 0)} | {ratio} | {fr(wall / t_floor, 1)} |")
    print(
        f"\nPlancher : lecture {fr(floor['read'], 2)} s ({fr(floor['source_rows'], 0)} lignes de sources), "
        f"écriture {fr(floor['write'], 2)} s ({fr(floor['result_rows'], 0)} lignes).\n"
    )
    for p, n in checked.items():
        print(f"{p} : mêmes valeurs, statuts, évolutions, rangs et écarts que bcs sur un échantillon de {fr(n, 0)} lignes.")
    # Where bcs's time goes: one more run from the raw CSV with its stage
    # durations (BCS_TIMINGS).
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, BCS_TIMINGS="1")
    done = subprocess.run(tools["bcs"](), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    stages = [line for line in done.stderr.splitlines() if line.startswith("[durée]") and not line.startswith("[durée]  ")]
    print("\nÉtapes de bcs (une exécution, depuis les CSV bruts) :\n")
    print("\n".join(stages))


if __name__ == "__main__":
    main()
