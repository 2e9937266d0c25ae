"""How much does a deploy cost? AWS API calls and bytes uploaded, for

1. a no-op deploy (nothing changed: target 0 bytes uploaded, <= 3 calls),
2. a no-op ``deploy --publish`` (the newest version is reused),
3. a one-line code change.

It starts its own moto server (ThreadedMotoServer on 127.0.0.1, port 0), writes a small project
(``--files`` modules of ``--kb`` KB each), creates the function with a first deploy, then measures.
Calls are counted with ``lambdactl.aws.CALLS`` (a botocore hook on every client lambdactl makes).

Two figures per scenario: the whole ``deploy`` (every planner: function, aliases, triggers,
concurrency, async) and the function's own planners (role, code, configuration, tags, publish).

Usage: python benchmarks/deploy_bench.py [--files 20] [--kb 4] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def start_moto() -> tuple[object, str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)     # no request log on stderr

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"
    req = urllib.request.Request(f"{url}/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()
    return server, url


def write_project(root: Path, files: int, kb: int) -> Path:
    src = root / "src"
    src.mkdir(parents=True)
    (root / "lambdactl.toml").write_text(
        '[function]\nname = "bench-fn"\nruntime = "python3.12"\nhandler = "app.handler"\n'
        'memory = 256\ntimeout = 10\n[function.environment]\nSTAGE = "bench"\n')
    (src / "app.py").write_text("VERSION = 1\n\ndef handler(event, context):\n    return {'version': VERSION}\n")
    filler = "".join(f"# line {i:06d} of filler to give the module some weight\n" for i in range(kb * 1024 // 56 + 1))
    for i in range(max(files - 1, 0)):
        (src / f"mod_{i:03d}.py").write_text(f"X = {i}\n" + filler)
    return root


def measure(proj, *, publish: bool = False, areas=None) -> dict:
    from lambdactl.aws import CALLS, AwsSession
    from lambdactl.core.resources.deploy import plan_deploy, run_deploy

    CALLS.clear()
    t0 = time.perf_counter()
    plan = plan_deploy(AwsSession(), proj, publish=publish, areas=areas)
    result = run_deploy(plan)
    elapsed = time.perf_counter() - t0
    calls = list(CALLS.calls)
    return {
        "status": result["status"],
        "calls": len(calls),
        "mutating_calls": sum(1 for c in calls if c.mutating),
        "code_bytes_uploaded": result.get("uploaded_bytes", 0),
        "request_body_bytes": sum(c.bytes_sent for c in calls),
        "operations": [f"{c.service}.{c.operation}" for c in calls],
        "seconds": round(elapsed, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20, help="modules in the project (default 20)")
    ap.add_argument("--kb", type=int, default=4, help="size of each filler module in KB (default 4)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                       "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    os.environ.pop("AWS_PROFILE", None)
    server, url = start_moto()
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        from lambdactl import config
        from lambdactl.core.resources.deploy import FUNCTION_AREAS

        with tempfile.TemporaryDirectory() as tmp:
            root = write_project(Path(tmp), args.files, args.kb)
            proj = config.load(root / "lambdactl.toml")
            first = measure(proj)
            rows = {"first deploy (create)": first}
            rows["no-op deploy"] = measure(proj)
            rows["no-op deploy (function planners)"] = measure(proj, areas=FUNCTION_AREAS)
            measure(proj, publish=True)      # publish version 1 once
            rows["no-op deploy --publish"] = measure(proj, publish=True)
            app = root / "src" / "app.py"
            app.write_text(app.read_text().replace("VERSION = 1", "VERSION = 2"))
            rows["one-line code change"] = measure(proj)
            app.write_text(app.read_text().replace("VERSION = 2", "VERSION = 3"))
            rows["one-line change (function planners)"] = measure(proj, areas=FUNCTION_AREAS)
            zip_size = first["code_bytes_uploaded"]
    finally:
        server.stop()

    if args.json:
        print(json.dumps({"files": args.files, "kb": args.kb, "zip_bytes": zip_size, "scenarios": rows}, indent=2))
        return 0
    print(f"project: {args.files} files x ~{args.kb} KB -> zip {zip_size} bytes")
    print(f"{'scenario':<38} {'status':<10} {'calls':>5} {'mutating':>8} {'code bytes':>10} {'body bytes':>10} {'s':>6}")
    for name, r in rows.items():
        print(f"{name:<38} {r['status']:<10} {r['calls']:>5} {r['mutating_calls']:>8} "
              f"{r['code_bytes_uploaded']:>10} {r['request_body_bytes']:>10} {r['seconds']:>6.2f}")
    for name in ("no-op deploy", "no-op deploy (function planners)", "no-op deploy --publish", "one-line code change"):
        print(f"  {name}: {', '.join(rows[name]['operations'])}")
    noop = rows["no-op deploy (function planners)"]
    ok = noop["code_bytes_uploaded"] == 0 and noop["calls"] <= 3 and noop["mutating_calls"] == 0
    full = rows["no-op deploy"]
    print(f"target (no-op: 0 bytes, <= 3 calls): function planners {'met' if ok else 'MISSED'} "
          f"({noop['calls']} calls); whole deploy {'met' if full['calls'] <= 3 and full['code_bytes_uploaded'] == 0 else 'MISSED'} "
          f"({full['calls']} calls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
