"""CPython's multiprocessing, measured the same way as our rows (bench/run.mjs calls this).

usage: python3 cpython_bench.py start <fork|forkserver|spawn> <count>
       python3 cpython_bench.py lock <Lock|RLock|Semaphore> <pairs>
       python3 cpython_bench.py pingpong <Condition|Semaphore> <rounds>
       python3 cpython_bench.py reads <raw|synced> <count>
       python3 cpython_bench.py recordreads <count>
       python3 cpython_bench.py poolmap <items> <chunksize: 0 for the default> [repeat: median of that many maps]
       python3 cpython_bench.py poolapply <count>
       python3 cpython_bench.py transfer <queue|simple|pipe> <count> <bytes: 0 for 256-char strings>
       python3 cpython_bench.py net <connect|echo> <count> [warm-up count]
prints one JSON line: {"us_per_op": ...} or {"per_sec": ...}
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


def lock_pairs(kind, n):
    lock = getattr(mp, kind)()
    acquire, release = lock.acquire, lock.release
    t = time.perf_counter()
    for _ in range(n):
        acquire()
        release()
    return n / (time.perf_counter() - t)


def sem_ping(mine, theirs, rounds, go, out):
    go.wait()
    t = time.perf_counter()
    for _ in range(rounds):
        theirs.release()
        mine.acquire()
    out.value = time.perf_counter() - t


def sem_pong(mine, theirs, rounds, go):
    go.wait()
    for _ in range(rounds):
        mine.acquire()
        theirs.release()


def cond_turn(cond, turn, me, rounds, go, out):
    go.wait()
    t = time.perf_counter()
    with cond:
        for _ in range(rounds):
            while turn.value != me:
                cond.wait()
            turn.value = 1 - me
            cond.notify()
    if out is not None:
        out.value = time.perf_counter() - t


def ping_pong(kind, rounds):
    ctx = mp.get_context("fork")
    go = ctx.Event()
    out = ctx.Value("d", 0.0)
    if kind == "Semaphore":
        a, b = ctx.Semaphore(0), ctx.Semaphore(0)
        ps = [ctx.Process(target=sem_ping, args=(a, b, rounds, go, out)), ctx.Process(target=sem_pong, args=(b, a, rounds, go))]
    else:
        cond = ctx.Condition()
        turn = ctx.Value("i", 0, lock=False)
        ps = [ctx.Process(target=cond_turn, args=(cond, turn, me, rounds, go, out if me == 0 else None)) for me in (0, 1)]
    for p in ps:
        p.start()
    time.sleep(0.2)
    go.set()
    for p in ps:
        p.join()
    return rounds / out.value


def reads(kind, n):
    arr = mp.RawArray("i", 10) if kind == "raw" else mp.Array("i", 10)
    t = time.perf_counter()
    for _ in range(n):
        arr[5]
    return n / (time.perf_counter() - t)


def record_reads(n):
    """A[i % 1000].x over a 1,000-record RawArray of Point (a ctypes Structure of two doubles)."""
    from ctypes import Structure, c_double

    class Point(Structure):
        _fields_ = [("x", c_double), ("y", c_double)]

    arr = mp.RawArray(Point, [(i, -i) for i in range(1000)])
    t = time.perf_counter()
    for i in range(n):
        arr[i % 1000].x
    return n / (time.perf_counter() - t)


def square(x):
    return x * x


def pool_map(n, chunksize, repeat=1):
    # repeat > 1: the median of that many maps (one short map is at the mercy of the scheduler)
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(square, range(4))
        items = list(range(n))
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            pool.map(square, items, chunksize=chunksize or None)
            times.append(time.perf_counter() - t)
        times.sort()
        return n / times[len(times) // 2]


def pool_apply(n):
    with mp.get_context("fork").Pool(2) as pool:
        pool.apply(square, (1,))
        xs = []
        for i in range(n):
            t = time.perf_counter()
            pool.apply(square, (i,))
            xs.append((time.perf_counter() - t) * 1e6)
        xs.sort()
        return xs[n // 2]


def produce(kind, chan, n, size):
    msg = bytes(size) if size else "x" * 256
    if kind == "pipe":
        send = chan.send_bytes if size else chan.send
        for _ in range(n):
            send(msg)
    else:
        for _ in range(n):
            chan.put(msg)


def transfer(kind, n, size):
    ctx = mp.get_context("fork")
    if kind == "pipe":
        r, w = ctx.Pipe(False)
        chan = w
        recv = r.recv_bytes if size else r.recv
    else:
        q = ctx.Queue() if kind == "queue" else ctx.SimpleQueue()
        chan = q
        recv = q.get
    p = ctx.Process(target=produce, args=(kind, chan, n, size))
    p.start()
    recv()
    t = time.perf_counter()
    for _ in range(n - 1):
        recv()
    secs = time.perf_counter() - t
    p.join()
    return (n - 1) * size / 2**20 / secs if size else (n - 1) / secs


def mgr_produce(q, n):
    s = "x" * 256
    for _ in range(n):
        q.put(s)


def manager(kind, n):
    """The manager rows: list reads, Queue strings child->parent, Lock pairs (per second)."""
    with mp.Manager() as m:
        if kind == "listget":
            l = m.list(range(10))
            t = time.perf_counter()
            for _ in range(n):
                l[5]
            return n / (time.perf_counter() - t)
        if kind == "queue":
            q = m.Queue()
            p = mp.Process(target=mgr_produce, args=(q, n))
            p.start()
            q.get()
            t = time.perf_counter()
            for _ in range(n - 1):
                q.get()
            r = (n - 1) / (time.perf_counter() - t)
            p.join()
            return r
        lock = m.Lock()
        t = time.perf_counter()
        for _ in range(n):
            lock.acquire()
            lock.release()
        return n / (time.perf_counter() - t)


def net_server(addr_q, key):
    from multiprocessing.connection import Listener
    with Listener(("127.0.0.1", 0), authkey=key) as listener:
        addr_q.put(listener.address)
        while True:
            with listener.accept() as c:
                try:
                    while True:
                        c.send_bytes(c.recv_bytes())
                except EOFError:
                    pass


def net(kind, n, warm):
    """connect: median us of Client() with an authkey to a Listener in a child; echo: 64-byte round trips/s (after `warm` of each)."""
    from multiprocessing.connection import Client
    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    p = ctx.Process(target=net_server, args=(q, b"bench"), daemon=True)
    p.start()
    addr = q.get()
    try:
        if kind == "connect":
            for _ in range(warm):
                Client(addr, authkey=b"bench").close()
            xs = []
            for _ in range(n):
                t = time.perf_counter()
                c = Client(addr, authkey=b"bench")
                xs.append((time.perf_counter() - t) * 1e6)
                c.close()
            xs.sort()
            return xs[n // 2]
        c = Client(addr, authkey=b"bench")
        msg = bytes(64)
        for _ in range(warm):
            c.send_bytes(msg)
            c.recv_bytes()
        t = time.perf_counter()
        for _ in range(n):
            c.send_bytes(msg)
            c.recv_bytes()
        secs = time.perf_counter() - t
        c.close()
        return n / secs
    finally:
        p.terminate()
        p.join()


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "manager":
        print(json.dumps({"per_sec": manager(sys.argv[2], int(sys.argv[3]))}))
        sys.exit(0)
    if what == "start":
        print(json.dumps({"us_per_op": start_join(sys.argv[2], int(sys.argv[3]))}))
    elif what == "lock":
        print(json.dumps({"per_sec": lock_pairs(sys.argv[2], int(sys.argv[3]))}))
    elif what == "pingpong":
        print(json.dumps({"per_sec": ping_pong(sys.argv[2], int(sys.argv[3]))}))
    elif what == "poolmap":
        print(json.dumps({"per_sec": pool_map(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1)}))
    elif what == "poolapply":
        print(json.dumps({"us_per_op": pool_apply(int(sys.argv[2]))}))
    elif what == "transfer":
        print(json.dumps({"per_sec": transfer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))}))
    elif what == "net":
        r = net(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 20)
        print(json.dumps({"us_per_op": r} if sys.argv[2] == "connect" else {"per_sec": r}))
    elif what == "reads":
        print(json.dumps({"per_sec": reads(sys.argv[2], int(sys.argv[3]))}))
    elif what == "recordreads":
        print(json.dumps({"per_sec": record_reads(int(sys.argv[2]))}))
    else:
        raise SystemExit(f"unknown benchmark {what}")
