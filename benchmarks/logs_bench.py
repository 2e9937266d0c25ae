"""Benchmark ``lambdactl logs -f``: follow lag (put → printed, p50/p99) and events/s rendered.

Starts its own moto server (a subprocess on 127.0.0.1), so it needs nothing else:

    .venv/bin/python benchmarks/logs_bench.py
    .venv/bin/python benchmarks/logs_bench.py --poll-interval 1.0,0.5,0.25 --events 600 --rate 100

Lag: a writer thread puts --events events at --rate events/s over several streams (a new stream
now and then, several events per millisecond); the tail (the real follow loop + the CLI's renderer,
writing to /dev/null and flushing per poll) records, for every event, the time from just before
its PutLogEvents call to the moment its line was written. Every event must be printed exactly once.

Throughput: --backlog events are loaded first, then one poll reads, parses and renders them all
(events/s end to end); the renderer alone is timed on the same events (events/s, CPU only).
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def lag_run(url: str, poll: float, events: int, rate: float, streams: int) -> dict:
    import boto3

    from lambdactl.aws import AwsSession
    from lambdactl.core.observe.logs import Query, Renderer, follow_batches

    logs = boto3.client("logs", endpoint_url=url, region_name="us-east-1")
    group = f"/aws/lambda/bench-{int(poll * 1000)}-{time.time_ns()}"
    logs.create_log_group(logGroupName=group)
    put_time: dict[str, float] = {}
    done = threading.Event()
    per_put = 4

    def writer():
        names: list[str] = []
        i = 0
        interval = per_put / rate
        next_t = time.monotonic()
        while i < events:
            if len(names) < streams and i >= len(names) * (events // streams):
                name = f"2026/11/23/[$LATEST]{len(names):032x}"
                logs.create_log_stream(logGroupName=group, logStreamName=name)
                names.append(name)
            name = names[i // per_put % len(names)]
            ts = int(time.time() * 1000)
            batch = []
            t_put = time.time()
            for _ in range(min(per_put, events - i)):
                key = f"e{i}"
                put_time[key] = t_put
                batch.append({"timestamp": ts, "message": f"{key} payload {{\"n\": {i}}}"})
                i += 1
            logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=batch)
            next_t += interval
            time.sleep(max(0.0, next_t - time.monotonic()))
        done.set()

    aws = AwsSession()
    renderer = Renderer(utc=False, json_format="compact")
    stop = threading.Event()
    lags: list[float] = []
    seen: dict[str, int] = {}
    sink = open(os.devnull, "w")

    def stopper():
        done.wait()
        deadline = time.monotonic() + 10 + 3 * poll
        while len(seen) < events and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2 * poll)
        stop.set()

    query = Query(group)
    w = threading.Thread(target=writer, daemon=True)
    threading.Thread(target=stopper, daemon=True).start()
    start = int(time.time() * 1000) - 1000
    w.start()
    t0 = time.monotonic()
    for batch in follow_batches(aws, query, start, stop=stop, poll_interval=poll):
        for ev in batch:
            sink.write(renderer.render(ev) + "\n")
        sink.flush()
        now = time.time()
        for ev in batch:
            key = ev.message.split(" ", 1)[0]
            seen[key] = seen.get(key, 0) + 1
            lags.append(now - put_time[key])
    elapsed = time.monotonic() - t0
    sink.close()
    dupes = sum(1 for v in seen.values() if v > 1)
    return {"poll": poll, "events": events, "printed": len(lags), "missing": events - len(seen),
            "duplicates": dupes, "p50": pct(lags, 50), "p99": pct(lags, 99), "max": max(lags),
            "calls": query.stats["calls"], "elapsed": elapsed,
            "reread": query.stats["duplicates_dropped"]}


def throughput_run(url: str, backlog: int) -> dict:
    import boto3

    from lambdactl.aws import AwsSession
    from lambdactl.core.observe.logs import Query, Renderer, follow_batches, parse_event

    logs = boto3.client("logs", endpoint_url=url, region_name="us-east-1")
    group = f"/aws/lambda/bulk-{time.time_ns()}"
    logs.create_log_group(logGroupName=group)
    base = int(time.time() * 1000) - 60_000
    rid = "8f5e3a2b-1111-2222-3333-444455556666"
    kinds = [f"[INFO]\t2026-11-23T15:00:00.000Z\t{rid}\tprocessing order {{\"id\": 42, \"items\": [1, 2, 3]}}",
             "a plain print line",
             f"REPORT RequestId: {rid}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
             f"Max Memory Used: 45 MB\t",
             f"[ERROR]\t2026-11-23T15:00:00.000Z\t{rid}\tsomething failed"]
    per_stream = backlog // 4
    for s in range(4):
        name = f"2026/11/23/[$LATEST]{s:032x}"
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        for off in range(0, per_stream, 5000):
            n = min(5000, per_stream - off)
            logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=[
                {"timestamp": base + (off + k) // 3, "message": kinds[(off + k) % 4]} for k in range(n)])
    aws = AwsSession()
    renderer = Renderer(json_format="compact")
    sink = open(os.devnull, "w")
    stop = threading.Event()
    q = Query(group)
    t0 = time.perf_counter()
    gen = follow_batches(aws, q, base - 1000, stop=stop, poll_interval=0.01)
    batch = next(gen)
    for ev in batch:
        sink.write(renderer.render(ev) + "\n")
    sink.flush()
    end_to_end = time.perf_counter() - t0
    stop.set()
    gen.close()
    raws = [{"timestamp": e.timestamp, "message": e.message, "logStreamName": e.stream, "eventId": e.event_id}
            for e in batch]
    t0 = time.perf_counter()
    for raw in raws:
        sink.write(renderer.render(parse_event(raw)) + "\n")
    render_only = time.perf_counter() - t0
    sink.close()
    assert len(batch) == per_stream * 4, (len(batch), per_stream * 4)
    return {"events": len(batch), "end_to_end_s": end_to_end, "end_to_end_eps": len(batch) / end_to_end,
            "render_eps": len(raws) / render_only, "calls": q.stats["calls"]}


def main(argv: list[str] | None = None) -> int:
    from lambdactl.core.observe.logs import DEFAULT_POLL_INTERVAL

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poll-interval", default=f"{DEFAULT_POLL_INTERVAL},0.5",
                    help="comma-separated poll intervals in seconds (default: the CLI default, then 0.5)")
    ap.add_argument("--events", type=int, default=400, help="events written during each lag run")
    ap.add_argument("--rate", type=float, default=100.0, help="events per second written")
    ap.add_argument("--streams", type=int, default=4, help="streams (created while following)")
    ap.add_argument("--backlog", type=int, default=20000, help="events for the throughput run")
    args = ap.parse_args(argv)

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    proc, url = start_moto()
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        print(f"moto server {url}; {args.events} events at {args.rate:g}/s over {args.streams} streams per run")
        print(f"{'poll s':>7} {'printed':>8} {'missing':>8} {'dupes':>6} {'lag p50':>9} {'lag p99':>9} "
              f"{'lag max':>9} {'calls':>6} {'re-read':>8}")
        ok = True
        for poll in [float(x) for x in args.poll_interval.split(",") if x.strip()]:
            r = lag_run(url, poll, args.events, args.rate, args.streams)
            ok = ok and r["missing"] == 0 and r["duplicates"] == 0
            print(f"{r['poll']:>7.2f} {r['printed']:>8} {r['missing']:>8} {r['duplicates']:>6} "
                  f"{r['p50'] * 1000:>7.0f}ms {r['p99'] * 1000:>7.0f}ms {r['max'] * 1000:>7.0f}ms "
                  f"{r['calls']:>6} {r['reread']:>8}")
        t = throughput_run(url, args.backlog)
        print(f"throughput: {t['events']} backlog events fetched+parsed+rendered in {t['end_to_end_s']:.2f}s "
              f"= {t['end_to_end_eps']:,.0f} events/s ({t['calls']} FilterLogEvents calls); "
              f"render only (parse+format): {t['render_eps']:,.0f} events/s")
        return 0 if ok else 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
