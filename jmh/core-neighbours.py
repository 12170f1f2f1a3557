#!/usr/bin/env python3
"""What else runs on the proxy's core: per thread, CPU time, run-queue wait and context switches
under load, for the router's JVM and for nginx's worker, from /proc (schedstat, status).

The proxy is pinned to one core as in jmh/proxy-bench.py. Every other thread of its process runs on
that core too: each time one wakes, it can preempt the thread that serves the connections, and
every request in flight then waits. The IO thread's run-queue wait (time runnable, not running)
and its involuntary switches say how much; the other threads' CPU time and wake-ups say who.
nginx's worker, measured the same way in the same run, is the floor (kernel work on that core).

    python3 jmh/core-neighbours.py --connections 16 --seconds 10 --windows 3
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import threading
import time
import importlib.util

_spec = importlib.util.spec_from_file_location(
    "proxy_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-bench.py"))
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)


def threads(pid):
    """{tid: (name, run ns, wait ns, voluntary, involuntary)} of a process."""
    out = {}
    for t in glob.glob("/proc/%d/task/*" % pid):
        try:
            name = open(t + "/comm").read().strip()
            run, wait, _ = map(int, open(t + "/schedstat").read().split())
            status = open(t + "/status").read()
            vol = int(status.split("\nvoluntary_ctxt_switches:")[1].split()[0])
            inv = int(status.split("nonvoluntary_ctxt_switches:")[1].split()[0])
            out[t.rsplit("/", 1)[1]] = (name, run, wait, vol, inv)
        except (OSError, IndexError, ValueError):
            pass  # a thread that ended meanwhile
    return out


def under_load(pid, port, connections, seconds):
    """wrk for `seconds`, and each thread's deltas over its middle (the first and last second
    left out); returns (wrk's result, rows sorted by CPU time)."""
    result = {}
    t = threading.Thread(target=lambda: result.update(pb.wrk(port, connections, seconds + 2)))
    t.start()
    time.sleep(1)
    a = threads(pid)
    time.sleep(seconds)
    b = threads(pid)
    t.join()
    rows = []
    for tid, (name, run, wait, vol, inv) in b.items():
        if tid in a:
            x = a[tid]
            rows.append((name, (run - x[1]) / 1e6, (wait - x[2]) / 1e6, vol - x[3], inv - x[4]))
    rows.sort(key=lambda r: -r[1])
    return result, rows


def nginx_worker(server):
    """The pid of nginx's worker (the master's only child)."""
    out = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True)
    kids = [int(p) for p in out.stdout.split()]
    return kids[0] if kids else server.proc.pid


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10, help="per window")
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=40, help="the router's JIT warm-up, s")
    ap.add_argument("--jar", help="router jar (default: the reference router's)")
    ap.add_argument("--java-opts", help="replaces proxy-bench's JVM flags")
    args = ap.parse_args()
    pb.JAVA = pb.find_java(pb.dockerfile_jdk())
    if args.java_opts:
        pb.JAVA_OPTS[:] = args.java_opts.split()
    pb.WORK = tempfile.mkdtemp(prefix="core-neighbours-")
    backend = pb.start_backend()
    servers = [backend]
    try:
        router = pb.start_whaleray(backend.port, jar=args.jar)
        servers.append(router)
        nginx = pb.start_nginx(backend.port)
        servers.append(nginx)
        for _ in range(max(1, args.warmup // 4)):
            pb.wrk(router.port, args.connections, 4)
        print("%s, %d connections, windows of %d s; ms and switches per window" % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.connections, args.seconds))
        for w in range(args.windows):
            for name, server, pid in (("whaleray", router, router.proc.pid),
                                      ("nginx", nginx, nginx_worker(nginx))):
                res, rows = under_load(pid, server.port, args.connections, args.seconds)
                print("window %d %-8s %6.0f req/s p99 %.2f ms" % (
                    w + 1, name, res.get("rps", 0), res.get("p99", 0)))
                for r in rows[:12]:
                    if r[1] >= 0.05 or r[4]:
                        print("    %-20s cpu %8.1f  run-queue wait %6.1f  voluntary %6d"
                              "  involuntary %5d" % r)
    finally:
        for s in reversed(servers):
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
