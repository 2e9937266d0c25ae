"""Benchmark ``lambdactl package`` against ``zip -r -X`` on a large tree, and the requests-only
function's cached rebuild.

    .venv/bin/python benchmarks/package_bench.py                # copy of this venv's site-packages
    .venv/bin/python benchmarks/package_bench.py --generated    # generated mixed content
    .venv/bin/python benchmarks/package_bench.py --no-requests  # skip the pip/requests part

The tree (>= 5,000 files, >= 90 MB by default) is built in a temporary directory: a copy of
top-level entries of the running interpreter's site-packages (without __pycache__ and anything
else lambdactl excludes, so both tools zip the same files), or generated mixed content (Python-like
text, JSON, semi-compressible binaries, incompressible blobs) when that is too small or
``--generated`` is given. Printed: ``zip -q -r -X`` time, lambdactl cold build (empty cache),
rebuild after touching one file (mtime only), rebuild after editing one file, no-change rebuild,
the ratios, and sizes against ``zip -9``. Targets (2-core machine): cold >= 1.5x faster than zip,
one-file rebuild <= 0.1x of cold, size within 3% of zip -9. Then a function whose only dependency
is ``requests``: the second ``lambdactl package`` (dependencies cached) end to end, well under 0.2 s.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lambdactl.core import packaging  # noqa: E402

MB = 1024 * 1024


def copy_site_packages(dest: Path, min_files: int, min_bytes: int, max_bytes: int) -> tuple[int, int]:
    """Copy whole top-level entries of site-packages (largest-first order is avoided: sorted by
    name, skipping any that would pass max_bytes) until both minimums are met."""
    site = Path(sysconfig.get_paths()["purelib"])
    rules = packaging.ignore_rules(site, ())
    files = total = 0
    dest.mkdir(parents=True, exist_ok=True)
    for top in sorted(site.iterdir()):
        if files >= min_files and total >= min_bytes:
            break
        if top.name.startswith(("_", ".")) or top.name.endswith((".pth", ".dist-info", ".egg-info")) \
                or top.name in ("lambdactl", "__editable__"):
            continue
        if not top.is_dir() or top.is_symlink():
            continue
        try:
            items = packaging.collect(top, rules, deps=True)
        except Exception:
            continue
        size = sum(i.size for i in items)
        if total + size > max_bytes:
            continue
        for it in items:
            d = dest / top.name / it.arc
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(it.path, d)
        files += len(items)
        total += size
    return files, total


def generate(dest: Path, n_files: int, n_bytes: int, seed: int = 7) -> tuple[int, int]:
    rnd = random.Random(seed)
    words = ("def class return import from self value result event context handler request "
             "response status items data config logger error self.assertEqual lambda yield for "
             "while in not and or if else elif try except finally with as None True False").split()
    per = n_bytes // n_files
    total = 0
    for i in range(n_files):
        d = dest / f"pkg{i % 40:02d}" / f"sub{(i // 40) % 12:02d}"
        d.mkdir(parents=True, exist_ok=True)
        kind = i % 20
        size = max(200, int(rnd.expovariate(1 / per))) if kind else per * 8
        if kind < 14:        # python-like text
            lines = []
            n = 0
            while n < size:
                ln = "    " * rnd.randint(0, 3) + " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 9)))
                lines.append(ln)
                n += len(ln) + 1
            data = ("\n".join(lines)).encode()[:size]
            name = f"mod{i}.py"
        elif kind < 17:      # json-ish
            data = ("{" + ",".join(f'"k{rnd.randint(0, 999)}": {rnd.randint(0, 10**6)}'
                                   for _ in range(size // 14)) + "}").encode()[:size]
            name = f"data{i}.json"
        elif kind < 19:      # semi-compressible binary (like .so files)
            block = bytes(rnd.getrandbits(8) for _ in range(256))
            data = b"".join(block[: rnd.randint(16, 256)] + bytes(rnd.randint(8, 64)) for _ in range(size // 200))[:size]
            name = f"ext{i}.so"
        else:                # incompressible
            data = os.urandom(size)
            name = f"blob{i}.bin"
        (d / name).write_bytes(data)
        total += len(data)
    return n_files, total


def timed(fn, *a, **kw):  # noqa: D103
    t = time.perf_counter()
    r = fn(*a, **kw)
    return time.perf_counter() - t, r


def warm(tree: Path) -> None:
    for dp, _, fs in os.walk(tree):
        for f in fs:
            with open(os.path.join(dp, f), "rb") as fh:
                while fh.read(1 << 20):
                    pass


def settle() -> None:
    """Flush the previous run's written files so that their write-back does not slow the next."""
    if hasattr(os, "sync"):
        os.sync()


def run_zip(zip_bin: str, tree: Path, out: Path, level: str | None = None) -> tuple[float, float]:
    """(wall, cpu) seconds of one ``zip -q -r -X`` run."""
    import resource

    out.unlink(missing_ok=True)
    settle()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([zip_bin, "-q", "-r", "-X", *([level] if level else []), str(out), "."], cwd=tree, check=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def run_build(tree: Path, out: Path, cache: Path | None, **kw):
    """(wall, cpu, result) of one in-process build (the CLI's settings: keep_data=False)."""
    settle()
    c = time.process_time()
    t = time.perf_counter()
    res = packaging.build_package(tree, out=out, cache_dir=cache, use_cache=cache is not None,
                                  keep_data=False, **kw)
    return time.perf_counter() - t, time.process_time() - c, res


def bench_tree(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="lambdactl-bench-"))
    try:
        tree = work / "tree"
        files = total = 0
        if not args.generated:
            files, total = copy_site_packages(tree, args.files, args.mb * MB, args.max_mb * MB)
        if files < args.files or total < args.mb * MB:
            shutil.rmtree(tree, ignore_errors=True)
            tree.mkdir()
            files, total = generate(tree, args.files, args.mb * MB)
            kind = "generated mixed content"
        else:
            kind = f"copy of {sysconfig.get_paths()['purelib']}"
        print(f"tree: {files} files, {total / MB:.1f} MB ({kind}); {os.cpu_count()} CPUs; "
              f"load average {os.getloadavg()[0]:.2f}; best of {args.repeat} runs each")
        warm(tree)
        zip_bin = shutil.which("zip")
        if not zip_bin:
            print("zip not found: skipping the zip comparison (apt-get install zip)")
        zips, colds, nocaches = [], [], []
        out = work / "out.zip"
        for i in range(args.repeat):
            if zip_bin:
                zips.append(run_zip(zip_bin, tree, work / "zip6.zip"))
            cache = work / f"cache{i}"
            shutil.rmtree(work / f"cache{i - 1}", ignore_errors=True)
            out.unlink(missing_ok=True)
            colds.append(run_build(tree, out, cache))
            nocaches.append(run_build(tree, work / "nc.zip", None)[:2])
        size_zip = (work / "zip6.zip").stat().st_size if zip_bin else None
        size_zip9 = None
        if zip_bin and not args.no_zip9:
            run_zip(zip_bin, tree, work / "zip9.zip", "-9")
            size_zip9 = (work / "zip9.zip").stat().st_size
        r_cold = colds[-1][2]

        # rebuilds on the last cold build's cache: touch one file (mtime only), edit one file
        candidates = sorted(tree.rglob("*.py"))
        touches, edits, sames = [], [], []
        for i in range(args.repeat):
            victim = candidates[(len(candidates) // 2 + i) % len(candidates)]
            ns = time.time_ns()
            os.utime(victim, ns=(ns, ns))
            touches.append(run_build(tree, out, cache))
            with open(victim, "a") as f:
                f.write(f"\n# edited by the benchmark ({i})\n")
            edits.append(run_build(tree, out, cache))
            sames.append(run_build(tree, out, cache))
        best = lambda runs: min(runs, key=lambda r: r[0])  # noqa: E731
        z, c, nc, tt, te, ts = (best(zips) if zips else None), best(colds), best(nocaches), \
            best(touches), best(edits), best(sames)

        print(f"lambdactl files in zip: {r_cold.files} (+ {r_cold.entries - r_cold.files} directories), "
              f"deflate level {packaging.zipbuild.LEVEL}")
        print(f"{'':34}{'wall':>8}  {'cpu':>8}  {'size':>10}")
        if z:
            print(f"{'zip -q -r -X':34}{z[0]:7.3f}s  {z[1]:7.3f}s  {size_zip / MB:7.2f} MB")
        if size_zip9:
            print(f"{'zip -9 -q -r -X (size only)':34}{'':8}  {'':8}  {size_zip9 / MB:7.2f} MB")
        print(f"{'lambdactl cold (empty cache)':34}{c[0]:7.3f}s  {c[1]:7.3f}s  {r_cold.size / MB:7.2f} MB")
        print(f"{'lambdactl cold, no cache':34}{nc[0]:7.3f}s  {nc[1]:7.3f}s")
        print(f"{'rebuild, one file touched':34}{tt[0]:7.3f}s  {tt[1]:7.3f}s   "
              f"(re-hashed {tt[2].hashed}, compressed {tt[2].compressed}, reused {tt[2].reused})")
        print(f"{'rebuild, one file edited':34}{te[0]:7.3f}s  {te[1]:7.3f}s   "
              f"(re-hashed {te[2].hashed}, compressed {te[2].compressed}, reused {te[2].reused})")
        print(f"{'rebuild, nothing changed':34}{ts[0]:7.3f}s  {ts[1]:7.3f}s   ({ts[2].status})")
        for label, r in (("cold", c), ("edited", te)):
            print(f"  {label} phases: " + ", ".join(f"{k} {v:.3f}" for k, v in r[2].timings.items() if v >= 0.0005))
        print("all runs (wall s): zip " + " ".join(f"{r[0]:.3f}" for r in zips)
              + " | cold " + " ".join(f"{r[0]:.3f}" for r in colds)
              + " | edited " + " ".join(f"{r[0]:.3f}" for r in edits))
        print("ratios:")
        if z:
            sp = z[0] / c[0]
            print(f"  cold speed-up vs zip -r -X:        {sp:5.2f}x   (target >= 1.5x: {'ok' if sp >= 1.5 else 'MISSED'})")
        for label, r in (("touched", tt), ("edited", te)):
            q = r[0] / c[0]
            print(f"  one-file rebuild ({label}) / cold: {q:6.3f}   (target <= 0.1: {'ok' if q <= 0.1 else 'MISSED'})")
        if size_zip9:
            d = (r_cold.size - size_zip9) / size_zip9 * 100
            print(f"  size vs zip -9:                    {d:+5.2f}%   (target <= +3%: {'ok' if d <= 3 else 'MISSED'})")
        fresh = packaging.build_package(tree, use_cache=False)
        final = packaging.build_package(tree, out=out, cache_dir=cache)
        print(f"  incremental output identical to a from-scratch build: {final.sha256 == fresh.sha256}")

        # the same through the CLI (a new process each time: includes interpreter + CLI start-up)
        env = {**os.environ, "LAMBDACTL_CACHE_DIR": str(work / "cli-cache")}
        cmd = [sys.executable, "-m", "lambdactl", "package", "--source", str(tree), "--out",
               str(work / "cli.zip"), "--no-deps", "-o", "json"]
        run = lambda: timed(subprocess.run, cmd, env=env, capture_output=True, text=True, check=True)[0]  # noqa: E731
        t_cli_cold = run()
        victim = candidates[len(candidates) // 3]
        with open(victim, "a") as f:
            f.write("\n# edited by the benchmark (cli)\n")
        t_cli_edit = run()
        t_cli_same = run()
        t_ver = timed(subprocess.run, [sys.executable, "-m", "lambdactl", "--version"], capture_output=True)[0]
        print(f"CLI end to end (one run each): cold {t_cli_cold:.3f} s, one file edited {t_cli_edit:.3f} s, "
              f"nothing changed {t_cli_same:.3f} s; 'lambdactl --version' alone {t_ver:.3f} s")
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench_requests(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="lambdactl-bench-req-"))
    try:
        (work / "src").mkdir()
        (work / "src" / "app.py").write_text("import requests\n\ndef handler(event, context):\n"
                                             "    return {'requests': requests.__version__}\n")
        (work / "requirements.txt").write_text("requests\n")
        (work / "lambdactl.toml").write_text('[function]\nname = "req"\nruntime = "python3.12"\n'
                                             'handler = "app.handler"\nsource = "src"\n'
                                             'requirements = "requirements.txt"\n')
        env = {**os.environ, "LAMBDACTL_CACHE_DIR": str(work / "cache")}
        cmd = [sys.executable, "-m", "lambdactl", "package", "-o", "json"]
        t1, p1 = timed(subprocess.run, cmd, cwd=work, env=env, capture_output=True, text=True)
        if p1.returncode != 0:
            print(f"requests case skipped: first package failed ({p1.stderr.strip().splitlines()[-1:]})")
            return
        import json

        d1 = json.loads(p1.stdout)
        runs = []
        for _ in range(5):
            t, p = timed(subprocess.run, cmd, cwd=work, env=env, capture_output=True, text=True)
            runs.append((t, json.loads(p.stdout)))
        t_ver, _ = timed(subprocess.run, [sys.executable, "-m", "lambdactl", "--version"], capture_output=True)
        t_floor = min(timed(subprocess.run, [sys.executable, "-m", "lambdactl", "package", "--arch", "bogus"],
                            cwd=work, env=env, capture_output=True)[0] for _ in range(3))
        best = min(t for t, _ in runs)
        d2 = runs[0][1]
        print(f"requests function: {d2['files']} files, {d2['size'] / 1024:.0f} KB zipped, "
              f"packages {', '.join(d2['dependencies']['packages'])}")
        print(f"  first package (pip install):   {t1:7.3f} s   (cached: {d1['dependencies']['cached']})")
        print(f"  second package, deps cached:   {runs[0][0]:7.3f} s   (best of 5 runs {best:.3f} s; "
              f"cached: {d2['dependencies']['cached']}, in-process build {d2['seconds']:.3f} s)")
        print(f"  for reference: 'lambdactl --version' {t_ver:.3f} s; 'lambdactl package --arch bogus' "
              f"(start-up + option parsing, exits at once) best of 3 {t_floor:.3f} s")
        print(f"  target: well under 0.2 s: {'ok' if best < 0.2 else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=5000, help="minimum number of files (default 5000)")
    ap.add_argument("--mb", type=int, default=90, help="minimum size in MB (default 90)")
    ap.add_argument("--max-mb", type=int, default=140, help="maximum size of the copied tree in MB")
    ap.add_argument("--generated", action="store_true", help="generate content instead of copying site-packages")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is shown (default 3)")
    ap.add_argument("--no-zip9", action="store_true", help="skip the zip -9 size reference")
    ap.add_argument("--no-requests", action="store_true", help="skip the requests (pip) case")
    ap.add_argument("--keep", action="store_true", help="keep the temporary tree")
    args = ap.parse_args()
    bench_tree(args)
    if not args.no_requests:
        bench_requests(args)


if __name__ == "__main__":
    main()
