"""`make bench`: every benchmark, each printing its own figures."""

import importlib
import sys

BENCHMARKS = [
    "bench.sending",
    "bench.latency",
    "bench.peer",
    "bench.home",
    "bench.api",
    "bench.feedback",
]

if __name__ == "__main__":
    wanted = sys.argv[1:] or BENCHMARKS
    for name in wanted:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            print(f"{name}: not available ({error})")
            continue
        module.main()
