#!/usr/bin/env python3
"""Start-up speed: `lambdactl --help`, `lambdactl --version`, `python -c "import typer"`, `aws --version`.

Targets (issue 12): --help within 1.5x of importing typer alone, and under 0.3x of `aws --version`.
Run: python benchmarks/startup_bench.py [--runs N]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def measure(cmd: list[str], runs: int) -> float | None:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            return None
        times.append(dt)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    rows = [
        ("lambdactl --help", [py, "-m", "lambdactl", "--help"]),
        ("lambdactl --version", [py, "-m", "lambdactl", "--version"]),
        ('python -c "import typer"', [py, "-c", "import typer"]),
        ("python -c pass", [py, "-c", "pass"]),
    ]
    aws = shutil.which("aws")
    if aws:
        rows.append(("aws --version", [aws, "--version"]))
    results = {}
    print(f"{'command':<28} {'median':>10}  (runs={args.runs})")
    for label, cmd in rows:
        t = measure(cmd, args.runs)
        results[label] = t
        print(f"{label:<28} {('%.1f ms' % (t * 1000)) if t is not None else 'n/a':>10}")
    helpt = results["lambdactl --help"]
    typer_t = results['python -c "import typer"']
    if helpt and typer_t:
        ratio = helpt / typer_t
        print(f"--help / import typer = {ratio:.2f}x (target <= 1.5x): {'OK' if ratio <= 1.5 else 'MISSED'}")
    awst = results.get("aws --version")
    if helpt and awst:
        ratio = helpt / awst
        print(f"--help / aws --version = {ratio:.2f}x (target < 0.3x): {'OK' if ratio < 0.3 else 'MISSED'}")
    elif not aws:
        print("aws CLI not installed: install it (pip install awscli) to compare")


if __name__ == "__main__":
    main()
