#!/usr/bin/env python3
"""Two router jars under load at the same time on one core: a before/after comparison this VM's noise
does not swamp.

proxy-bench measures contenders one after another, and on this VM the speed of the core moves by a
third between two 6 s runs, so a few per cent of CPU per request between two jars is lost in it.
Here both routers run pinned to CPU 0 at once, each under its own wrk (both on CPU 1, with the nginx
backend), so whatever slows the core slows both in the same seconds. Each router's CPU time and
answers over the same run give its CPU per request; the ratios (B over A) are what this prints,
per round and as medians. Both share the core, so their requests/s and latency are each about half
of a router alone: compare them with each other only.

The same for the router against nginx or HAProxy (--jar-a nginx): their CPU per request measured
in the same seconds as the router's (one nginx worker, one HAProxy thread, as in proxy-bench).

  python3 jmh/duel-bench.py --jar-a /tmp/before.jar [--jar-b J] [--connections 16,64,256]
      [--rounds 7] [--seconds 6] [--warmup 30] [--host NAME]
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

_spec = importlib.util.spec_from_file_location(
    "proxy_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-bench.py"))
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)


def both(ports, connections, seconds, flip):
    """wrk against each port at once (the second launched first when flip, though launches are
    microseconds apart); results in port order."""
    out = [None] * len(ports)

    def run(i):
        out[i] = pb.wrk(ports[i], connections, seconds)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(ports))]
    for t in (reversed(threads) if flip else threads):
        t.start()
    for t in threads:
        t.join()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jar-a", required=True,
                    help="the 'before' router jar, or nginx or haproxy")
    ap.add_argument("--jar-b", help="the 'after' jar (default: the reference router's)")
    ap.add_argument("--connections", default="16,64,256", help="per router")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=30, help="JIT warm-up of each router, s")
    ap.add_argument("--host", help="the Host header of every request (as proxy-bench --host)")
    ap.add_argument("--no-aot", action="store_true", help="both without the image's AOT cache")
    ap.add_argument("--no-aot-b", action="store_true",
                    help="b without the AOT cache, a with it: what the cache does to the steady"
                    " state")
    ap.add_argument("--flags-b", default="",
                    help="JVM flags added to the image's for b only (then both run without the"
                    " AOT cache, trained with the image's flags), e.g. to weigh a JVM setting")
    ap.add_argument("--env-b", action="append", default=[], metavar="NAME=VALUE",
                    help="set in b's environment only, e.g. WHALERAY_WARMUP=10s; repeatable")
    ap.add_argument("--replace-flags-b", action="store_true",
                    help="--flags-b replaces the image's flags instead (another collector)")
    args = ap.parse_args()
    if args.replace_flags_b and not args.flags_b:
        ap.error("--replace-flags-b needs --flags-b")
    if args.no_aot_b and (args.no_aot or args.flags_b):
        ap.error("--no-aot-b goes without --no-aot and --flags-b")
    pb.JAVA = pb.find_java(pb.dockerfile_jdk())
    pb.HOST = args.host
    pb.AOT = pb.AOT and not args.no_aot and not args.flags_b
    native = {"nginx": pb.start_nginx, "haproxy": pb.start_haproxy}
    jar_a = args.jar_a if args.jar_a in native else os.path.abspath(args.jar_a)
    jar_b = os.path.abspath(args.jar_b or pb.ROUTER_JAR)
    conns = [int(c) for c in args.connections.split(",")]
    started = time.time()
    backend = None
    routers = []  # appended one by one: whatever started is stopped below
    try:
        backend = pb.start_backend()
        routers.append(native[jar_a](backend.port) if jar_a in native
                       else pb.start_whaleray(backend.port, jar_a, "a"))
        flags_b = None  # the image's flags, with the AOT cache where there is one
        if args.flags_b:
            flags_b = ([] if args.replace_flags_b else pb.JAVA_OPTS) + args.flags_b.split()
        elif args.no_aot_b:
            flags_b = list(pb.JAVA_OPTS)
        with pb.environment(dict(e.split("=", 1) for e in args.env_b)):  # b's only
            routers.append(pb.start_whaleray(backend.port, jar_b, "b", flags=flags_b))
        for r in routers:  # one at a time, on fresh connections, through every count
            # nginx and HAProxy need no JIT: one short run per count fills their pools
            left, i = (4 * len(conns) if r.name in native else args.warmup), 0
            while left > 0:
                pb.wrk(r.port, conns[i % len(conns)], min(4, left))
                left -= 4
                i += 1
        ratios = {c: {"rps": [], "cpu": [], "p99": [], "errors": 0} for c in conns}
        for rnd in range(args.rounds):
            for c in conns:
                cpu0 = [r.cpu_seconds() for r in routers]
                res = both([r.port for r in routers], c, args.seconds, rnd % 2 == 1)
                cpu = [(r.cpu_seconds() - c0) * 1e6 / max(x["good"], 1)
                       for r, c0, x in zip(routers, cpu0, res)]
                ratios[c]["errors"] += sum(x["errors"] for x in res)
                ratios[c]["rps"].append(res[1]["rps"] / max(res[0]["rps"], 1))
                ratios[c]["cpu"].append(cpu[1] / max(cpu[0], 1e-9))
                ratios[c]["p99"].append(res[1]["p99"] / max(res[0]["p99"], 1e-9))
                print("round %d c=%-3d a %7.0f req/s %5.1f us/req p99 %6.2f ms | b %7.0f req/s %5.1f"
                      " us/req p99 %6.2f ms | b/a cpu %.3f"
                      % (rnd + 1, c, res[0]["rps"], cpu[0], res[0]["p99"], res[1]["rps"], cpu[1],
                         res[1]["p99"], cpu[1] / max(cpu[0], 1e-9)), file=sys.stderr, flush=True)
    finally:
        for s in routers + ([backend] if backend else []):
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                print("stopping %s: %s" % (s.name, e), file=sys.stderr)
    print("\nduel: %s, a = %s, b = %s, %d rounds x %d s per count, %.0f s in all; both routers on"
          " CPU 0 at once, wrk -t1 for each and the nginx backend on CPU 1; Java: %s%s%s"
          % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.jar_a,
             (args.jar_b or "the reference router's jar")
             + ((" with %s instead of the image's flags" if args.replace_flags_b
                 else " with %s added") % args.flags_b if args.flags_b else "")
             + (" and %s in its environment" % " ".join(args.env_b) if args.env_b else ""),
             args.rounds, args.seconds,
             time.time() - started, " ".join(pb.JAVA_OPTS),
             (" with a's AOT cache (b without)" if args.no_aot_b
              else " with each jar's AOT cache") if pb.AOT else "",
             ", Host: " + args.host if args.host else ""))
    print("\n| connections (each) | b/a CPU per request | range | b/a requests/s | b/a p99 |"
          " errors |")
    print("|---:|---:|---:|---:|---:|---:|")
    for c in conns:
        r = ratios[c]
        print("| %d | %.3f | %.3f-%.3f | %.3f | %.2f | %d |" % (
            c, statistics.median(r["cpu"]), min(r["cpu"]), max(r["cpu"]),
            statistics.median(r["rps"]), statistics.median(r["p99"]), r["errors"]))


if __name__ == "__main__":
    pb.WORK = tempfile.mkdtemp(prefix="duel-bench-")
    try:
        main()
    finally:
        shutil.rmtree(pb.WORK, ignore_errors=True)
