"""`make bench`, sending at a distance: one worker's throughput when every reply of the
SMTP server comes after 0, 20 or 50 ms (a relay in another data centre), over 1, 5, 10
and 20 connections (SMTP_CONNECTIONS), and the pool's efficiency: throughput over
(connections × the rate of one connection measured in the same run). With a delay, the
same again with the sink offering PIPELINING (RFC 2920): one round trip for MAIL, RCPT
and DATA instead of three.

Each cell is one `run_pass` in its own process on a copy of one seeded SQLite database,
against the sink of bench/sending.py in another process; SEND_RATE off. A cell sends
enough messages to last a few seconds: BENCH_LATENCY_PER_CONNECTION (30) per connection
with a delay, BENCH_LATENCY_FAST (2,000) without. `python -m bench bench.latency` runs
only this part; BENCH_LATENCY_DELAYS and BENCH_LATENCY_CONNECTIONS (comma-separated)
pick the rows.
"""

import os
import shutil
import tempfile
from pathlib import Path

from .sending import Sink, _env, _run

DELAYS_MS = [int(ms) for ms in os.environ.get("BENCH_LATENCY_DELAYS", "0,20,50").split(",")]
CONNECTIONS = [int(n) for n in os.environ.get("BENCH_LATENCY_CONNECTIONS", "1,5,10,20").split(",")]
PER_CONNECTION = int(os.environ.get("BENCH_LATENCY_PER_CONNECTION", 30))
FAST = int(os.environ.get("BENCH_LATENCY_FAST", 2_000))


def _cell(
    template: Path, var_dir: Path, *, delay_ms: int, connections: int, pipelining: bool
) -> dict:
    recipients = FAST if not delay_ms else max(40, PER_CONNECTION * connections)
    var_dir.mkdir()
    shutil.copy(template / "bench.sqlite3", var_dir / "bench.sqlite3")
    sink = Sink(delay_ms, pipelining=pipelining)
    try:
        env = _env(
            var_dir,
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            SMTP_CONNECTIONS=connections,
            SMTP_TIMEOUT=30,
        )
        result = _run("engine", str(recipients), env=env)
    finally:
        accepted = sink.stop()
    if result["sent"] != recipients or accepted != recipients:
        raise SystemExit(
            f"{delay_ms} ms, {connections} connections: sent {result['sent']}, "
            f"sink got {accepted} of {recipients}"
        )
    return {**result, "rate": result["sent"] / result["seconds"]}


def main() -> None:
    print(
        "Sending at a distance: one worker, SEND_RATE off, each reply of the sink delayed; "
        "efficiency = rate / (connections × the 1-connection rate at that delay)"
    )
    largest = max(FAST, PER_CONNECTION * max(CONNECTIONS))
    with tempfile.TemporaryDirectory(prefix="rassylka-bench-latency-") as tmp_name:
        tmp = Path(tmp_name)
        template = tmp / "template"
        template.mkdir()
        _run("seed", str(largest), env=_env(template))
        print(f"  {'reply delay':>11}  {'connections':>11}  {'msg/s':>8}  {'efficiency':>10}")
        for delay_ms in DELAYS_MS:
            for pipelining in [False, True] if delay_ms else [False]:
                single = None
                for connections in CONNECTIONS:
                    cell = _cell(
                        template,
                        tmp / f"{delay_ms}-{connections}-{pipelining}",
                        delay_ms=delay_ms,
                        connections=connections,
                        pipelining=pipelining,
                    )
                    single = single or cell["rate"]
                    efficiency = cell["rate"] / (connections * single)
                    print(
                        f"  {delay_ms:>8} ms  {connections:>11}  {cell['rate']:>8,.0f}  "
                        f"{efficiency:>10.2f}{'  PIPELINING' if pipelining else ''}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
