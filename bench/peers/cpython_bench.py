"""CPython's multiprocessing, measured the same way as our rows (bench/run.mjs calls this).

usage: python3 cpython_bench.py start <fork|forkserver|spawn> <count>
prints one JSON line: {"us_per_op": ...}
"""
import json
import multiprocessing as mp
import sys
import time


def noop():
    pass


def start_join(method, count):
    ctx = mp.get_context(method)
    # warm-up: the forkserver (and spawn's first import) start here, outside the timing
    p = ctx.Process(target=noop)
    p.start()
    p.join()
    t = time.perf_counter()
    for _ in range(count):
        p = ctx.Process(target=noop)
        p.start()
        p.join()
    return (time.perf_counter() - t) / count * 1e6


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "start":
        print(json.dumps({"us_per_op": start_join(sys.argv[2], int(sys.argv[3]))}))
    else:
        raise SystemExit(f"unknown benchmark {what}")
