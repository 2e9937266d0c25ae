"""Invoke benchmark: local invoke latency (cold, warm, CLI end to end) and batch throughput.

    .venv/bin/python benchmarks/invoke_bench.py [--events 1000] [--concurrency 1,8] [--json]

- local cold: a fresh worker process (spawn + init + first invoke), measured in the parent;
- local warm: further invokes on the same worker;
- CLI end to end: ``python -m lambdactl invoke --local '{}'`` in a fresh process (what a user waits);
- batch: ``run_batch`` over N JSONL events against a moto server this script starts itself
  (Docker-less invoke), at each concurrency, and the same with ``--local`` workers.

Keep the defaults modest: the machine may be shared.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HANDLER = "def handler(event, context):\n    return {'ok': True, 'event': event}\n"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(1, -(-len(s) * p // 100))
    return s[int(min(k, len(s))) - 1]


def bench_local(tmp: Path, warm_n: int, cold_n: int) -> dict:
    from lambdactl.core.run.local_runner import FunctionSpec, Worker

    src = tmp / "src"
    src.mkdir(exist_ok=True)
    (src / "app.py").write_text(HANDLER)
    spec = FunctionSpec(code_dir=src, handler="app.handler", function_name="bench", timeout_s=3)
    cold, init = [], []
    for _ in range(cold_n):
        with Worker(spec) as w:
            r = w.invoke(b'{"n": 1}')
            assert r.cold and r.function_error is None
            cold.append(r.wall_ms)
            init.append(r.init_duration_ms or 0.0)
    warm, handler_ms = [], []
    with Worker(spec) as w:
        w.invoke(b"{}")
        for i in range(warm_n):
            t0 = time.perf_counter()
            r = w.invoke(b'{"n": %d}' % i)
            warm.append((time.perf_counter() - t0) * 1000)
            handler_ms.append(r.duration_ms)
            assert not r.cold
    return {"cold_ms_p50": statistics.median(cold), "cold_ms_max": max(cold), "init_ms_p50": statistics.median(init),
            "warm_ms_p50": pct(warm, 50), "warm_ms_p99": pct(warm, 99), "handler_ms_p50": pct(handler_ms, 50),
            "cold_runs": cold_n, "warm_runs": warm_n}


def bench_cli(tmp: Path, runs: int) -> dict:
    proj = tmp / "proj"
    (proj / "src").mkdir(parents=True, exist_ok=True)
    (proj / "src" / "app.py").write_text(HANDLER)
    (proj / "lambdactl.toml").write_text('[function]\nname = "bench"\nruntime = "python3.12"\n'
                                         'handler = "app.handler"\nsource = "src"\n')
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "lambdactl", "invoke", "--local", "{}"], cwd=proj,
                           capture_output=True, text=True)
        times.append((time.perf_counter() - t0) * 1000)
        assert p.returncode == 0, p.stderr
    return {"cli_ms_p50": statistics.median(times), "cli_ms_min": min(times), "runs": runs}


def start_moto():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"
    req = urllib.request.Request(url + "/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    return server, url


def bench_batch(events: int, concurrencies: list[int], tmp: Path) -> list[dict]:
    import io
    import zipfile

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
                       "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    server, url = start_moto()
    os.environ["AWS_ENDPOINT_URL"] = url
    out = []
    try:
        import boto3

        from lambdactl.aws import AwsSession
        from lambdactl.core.run.batch import local_invoker, parse_lines, remote_invoker, run_batch
        from lambdactl.core.run.local_runner import FunctionSpec, WorkerPool
        from lambdactl.settings import Settings

        iam = boto3.client("iam", region_name="us-east-1", endpoint_url=url)
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", HANDLER)
        boto3.client("lambda", region_name="us-east-1", endpoint_url=url).create_function(
            FunctionName="bench", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": buf.getvalue()})
        data = "\n".join(json.dumps({"i": i}) for i in range(events)).encode()
        lines = parse_lines(data)
        aws = AwsSession(Settings(endpoint_url=url, region="us-east-1"))
        for c in concurrencies:
            s = run_batch(lines, remote_invoker(aws, "bench"), concurrency=c)
            assert s.errors == 0 and s.count == events, s
            out.append({"mode": "remote (moto)", "events": events, "concurrency": c, "throughput": s.throughput,
                        "p50_ms": s.p50_ms, "p90_ms": s.p90_ms, "p99_ms": s.p99_ms, "elapsed_s": s.elapsed_s})
        src = tmp / "batchsrc"
        src.mkdir(exist_ok=True)
        (src / "app.py").write_text(HANDLER)
        spec = FunctionSpec(code_dir=src, handler="app.handler", function_name="bench")
        for c in concurrencies:
            with WorkerPool(spec, max_workers=c) as pool:
                s = run_batch(lines, local_invoker(pool), concurrency=c)
            assert s.errors == 0 and s.count == events, s
            out.append({"mode": "local workers", "events": events, "concurrency": c, "throughput": s.throughput,
                        "p50_ms": s.p50_ms, "p90_ms": s.p90_ms, "p99_ms": s.p99_ms, "elapsed_s": s.elapsed_s})
    finally:
        server.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--warm", type=int, default=300, help="warm local invokes")
    ap.add_argument("--cold", type=int, default=5, help="cold local starts")
    ap.add_argument("--cli-runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    concurrencies = [int(x) for x in args.concurrency.split(",") if x]
    with tempfile.TemporaryDirectory(prefix="invoke-bench-") as d:
        tmp = Path(d)
        local = bench_local(tmp, args.warm, args.cold)
        cli = bench_cli(tmp, args.cli_runs)
        batch = bench_batch(args.events, concurrencies, tmp)
    result = {"local": local, "cli": cli, "batch": batch}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("local invoke (trivial handler, no Docker)")
    print(f"  cold start (spawn + init + invoke)  p50 {local['cold_ms_p50']:.1f} ms  max {local['cold_ms_max']:.1f} ms"
          f"  (Init Duration p50 {local['init_ms_p50']:.1f} ms, {local['cold_runs']} runs)")
    print(f"  warm invoke (round trip)            p50 {local['warm_ms_p50']:.3f} ms  p99 {local['warm_ms_p99']:.3f} ms"
          f"  (handler {local['handler_ms_p50']:.3f} ms, {local['warm_runs']} runs)")
    print(f"  CLI end to end (fresh process)      p50 {cli['cli_ms_p50']:.0f} ms  min {cli['cli_ms_min']:.0f} ms"
          f"  ({cli['runs']} runs)")
    print("batch invoke")
    for b in batch:
        print(f"  {b['mode']:<14} {b['events']} events  concurrency {b['concurrency']:<2}  "
              f"{b['throughput']:7.1f}/s  p50 {b['p50_ms']:.2f} ms  p90 {b['p90_ms']:.2f} ms  p99 {b['p99_ms']:.2f} ms"
              f"  ({b['elapsed_s']:.2f} s)")


if __name__ == "__main__":
    main()
