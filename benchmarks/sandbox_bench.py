#!/usr/bin/env python3
"""Invoke latency through the lambdactl sandbox: cold and warm, p50/p99.

Starts a sandbox in-process on a free port, deploys a trivial Python handler with boto3, then
measures: cold starts (a new function version each time → a new worker process) and warm
invokes (the same worker reused). Prints figures; no pass/fail.
Run: python benchmarks/sandbox_bench.py [--cold 10] [--warm 300]
"""
from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import zipfile


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, int(round(q / 100 * len(values) + 0.5)) - 1))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", type=int, default=10)
    ap.add_argument("--warm", type=int, default=300)
    args = ap.parse_args()

    import boto3

    from lambdactl.core.run.sandbox import SandboxServer

    tmp = tempfile.mkdtemp(prefix="lambdactl-sandbox-bench-")
    server = SandboxServer(port=0, cache_dir=tmp).start()
    kw = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    iam, lam = boto3.client("iam", **kw), boto3.client("lambda", **kw)
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {'ok': True, 'n': event.get('n')}\n")
    code = buf.getvalue()
    lam.create_function(FunctionName="bench", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": code})
    lam.invoke(FunctionName="bench", Payload=b"{}")  # unpack the zip once, warm imports

    cold, cold_init = [], []
    for i in range(args.cold):
        # a configuration change makes a new execution environment (as on Lambda)
        lam.update_function_configuration(FunctionName="bench", Environment={"Variables": {"RUN": str(i)}})
        t0 = time.perf_counter()
        r = lam.invoke(FunctionName="bench", Payload=b'{"n": 0}', LogType="Tail")
        cold.append((time.perf_counter() - t0) * 1000)
        import base64

        from lambdactl.core.observe.reportline import parse_report

        for line in base64.b64decode(r["LogResult"]).decode().splitlines():
            rep = parse_report(line)
            if rep and rep.init_duration_ms is not None:
                cold_init.append(rep.init_duration_ms)
    warm = []
    for i in range(args.warm):
        t0 = time.perf_counter()
        lam.invoke(FunctionName="bench", Payload=b'{"n": %d}' % i)
        warm.append((time.perf_counter() - t0) * 1000)
    server.stop()
    print(f"sandbox invoke latency (HTTP round trip through boto3, {server.endpoint})")
    print(f"  cold  n={len(cold):4d}  p50 {pct(cold, 50):7.1f} ms  p99 {pct(cold, 99):7.1f} ms"
          f"  (Init Duration p50 {statistics.median(cold_init) if cold_init else float('nan'):.1f} ms)")
    print(f"  warm  n={len(warm):4d}  p50 {pct(warm, 50):7.1f} ms  p99 {pct(warm, 99):7.1f} ms")
    print("  for comparison: `sam local invoke` needs Docker and takes seconds per request")


if __name__ == "__main__":
    main()
