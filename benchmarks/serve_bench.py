"""Serve benchmark: warm request latency of ``lambdactl serve`` on a trivial handler (goal: p50 <= 5 ms).

    v/bin/python benchmarks/serve_bench.py [--requests 500] [--format http|rest] [--json]

Starts ``python -m lambdactl serve --port P`` (as a user would, with the default reload watcher on
and its per-request log lines going to a pipe that this script drains) in a temporary project,
warms it with one request (the cold start), then measures, end to end from the client:

- keep-alive: N sequential requests on one HTTP/1.1 connection (what a browser or an SDK does);
- new connection: N sequential requests each on a fresh connection (curl in a loop);
- concurrent: N requests from 4 client threads (4 warm workers).

Each request is a GET with a query string and a small header set; the handler returns a 2.0 response.
Keep the defaults modest: the machine may be shared.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HANDLER = ("import json\n\ndef handler(event, context):\n"
           "    return {'statusCode': 200, 'headers': {'content-type': 'application/json'},\n"
           "            'body': json.dumps({'ok': True, 'q': event.get('queryStringParameters')})}\n")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(1, -(-len(s) * p // 100))
    return s[int(min(k, len(s))) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(proj: Path, port: int, fmt: str) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "lambdactl", "serve", "--port", str(port), "--format", fmt],
                            cwd=proj, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = threading.Event()

    def drain():
        for line in proc.stderr:
            if "Ctrl-C to stop" in line:
                seen.set()
    threading.Thread(target=drain, daemon=True).start()
    if not seen.wait(60):
        proc.kill()
        raise SystemExit("serve did not start")
    return proc


def timed_get(conn: http.client.HTTPConnection, i: int) -> float:
    t0 = time.perf_counter()
    conn.request("GET", f"/orders?id={i}", headers={"Accept": "application/json", "User-Agent": "bench"})
    resp = conn.getresponse()
    body = resp.read()
    ms = (time.perf_counter() - t0) * 1000
    assert resp.status == 200 and b'"ok": true' in body, (resp.status, body)
    return ms


def stats(name: str, ms: list[float]) -> dict:
    return {"mode": name, "requests": len(ms), "p50_ms": pct(ms, 50), "p90_ms": pct(ms, 90), "p99_ms": pct(ms, 99),
            "mean_ms": statistics.fmean(ms), "max_ms": max(ms)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--format", default="http", choices=("http", "rest"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = args.requests
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as d:
        proj = Path(d)
        (proj / "src").mkdir()
        (proj / "src" / "app.py").write_text(HANDLER)
        (proj / "lambdactl.toml").write_text('[function]\nname = "bench"\nruntime = "python3.12"\n'
                                             'handler = "app.handler"\nsource = "src"\n')
        port = free_port()
        proc = start(proj, port, args.format)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            cold = timed_get(conn, 0)
            for i in range(20):                 # settle
                timed_get(conn, i)
            keep = [timed_get(conn, i) for i in range(n)]
            conn.close()
            fresh = []
            for i in range(n):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                fresh.append(timed_get(c, i))
                c.close()

            local = threading.local()

            def one(i: int) -> float:
                if not hasattr(local, "conn"):
                    local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                return timed_get(local.conn, i)

            with ThreadPoolExecutor(4) as pool:
                list(pool.map(one, range(40)))             # warm 4 workers
                t0 = time.perf_counter()
                conc = list(pool.map(one, range(n)))
                elapsed = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(30)
    rows = [stats("keep-alive", keep), stats("new connection", fresh), stats("4 concurrent clients", conc)]
    rows[2]["throughput_rps"] = n / elapsed
    result = {"format": args.format, "cold_first_request_ms": cold, "goal_p50_ms": 5.0, "results": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"lambdactl serve --format {args.format}, trivial handler, warm (first request, cold: {cold:.1f} ms)")
    for r in rows:
        extra = f"  {r['throughput_rps']:.0f} req/s" if "throughput_rps" in r else ""
        print(f"  {r['mode']:<22} p50 {r['p50_ms']:6.2f} ms  p90 {r['p90_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
              f"  max {r['max_ms']:7.2f} ms  ({r['requests']} requests){extra}")
    ok = rows[0]["p50_ms"] <= 5.0
    print(f"  goal p50 <= 5 ms (keep-alive): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
