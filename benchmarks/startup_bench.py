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


def once(cmd: list[str]) -> float | None:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    return dt if p.returncode == 0 else None


def measure_all(rows: list[tuple[str, list[str]]], runs: int) -> dict[str, float | None]:
    """Medians over ``runs`` rounds; each round runs every command once (interleaved), so a burst of
    load on a shared machine hits all commands alike instead of skewing one of the ratios."""
    times: dict[str, list[float] | None] = {label: [] for label, _ in rows}
    for label, cmd in rows:           # warm the OS caches once
        once(cmd)
    for _ in range(runs):
        for label, cmd in rows:
            if times[label] is None:
                continue
            dt = once(cmd)
            if dt is None:
                times[label] = None
            else:
                times[label].append(dt)
    return {label: (statistics.median(t) if t else None) for label, t in times.items()}


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
    results = measure_all(rows, args.runs)
    print(f"{'command':<28} {'median':>10}  (runs={args.runs}, interleaved)")
    for label, _ in rows:
        t = results[label]
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
