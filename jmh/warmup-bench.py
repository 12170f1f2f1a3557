#!/usr/bin/env python3
"""Warm-up: the router's first seconds of load after start-up against its steady state.

A new ECS task behind an ALB takes traffic as soon as its health check passes, so what matters is
not only the router's speed after a long JIT warm-up but its first seconds. Per variant (JVM and
flags, e.g. with a class-data-sharing archive or an AOT cache) and per round this starts a fresh
router (pinned to CPU 0 like jmh/proxy-bench.py, the nginx backend and wrk -t1 on CPU 1), measures
the time from exec to the first 200 on /services/demo/, then runs wrk for --first seconds at once
(the "first" figures), keeps the load on for --warm seconds, and measures --first seconds again
(the "steady" figures). Prints the medians over rounds and the first/steady ratios.

    python3 jmh/warmup-bench.py --rounds 3 --connections 64 \\
        --variant "jdk17=java:-Xms64m -Xmx128m -XX:+UseSerialGC" \\
        --variant "jdk17-cds=java:-Xms64m -Xmx128m -XX:+UseSerialGC CDS" \\
        --variant "warm10=java:-Xms64m -Xmx128m -XX:+UseSerialGC CDS WHALERAY_WARMUP=10s"

("ready" then includes the router's own warm-up, WHALERAY_WARMUP, before it listens.)
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import importlib.util

_spec = importlib.util.spec_from_file_location(
    "proxy_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-bench.py"))
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)


_archives = {}


def archive(java, opts, kind):
    """A CDS archive (kind CDS: -XX:ArchiveClassesAtExit, JDK 17+) or AOT cache (kind AOT:
    -XX:AOTCacheOutput, JDK 25) of the router's jar, from a --train 20000 run with these flags."""
    key = (java, tuple(opts), kind)
    if key not in _archives:
        path = os.path.join(pb.WORK, "archive-%d.%s" % (len(_archives), kind.lower()))
        make = "-XX:ArchiveClassesAtExit=" if kind == "CDS" else "-XX:AOTCacheOutput="
        if not pb.train(java, opts, pb.ROUTER_JAR, make, path):
            raise RuntimeError("the %s training run wrote no %s" % (java, path))
        _archives[key] = path
    use = "-XX:SharedArchiveFile=" if kind == "CDS" else "-XX:AOTCache="
    return [use + _archives[key]]


def one_round(java, opts, connections, first, warm):
    pb.JAVA = java
    env = dict(o.split("=", 1) for o in opts if o.startswith("WHALERAY_"))
    plain = [o for o in opts if o not in ("CDS", "AOT") and not o.startswith("WHALERAY_")]
    extra = []
    for kind in ("CDS", "AOT"):
        if kind in opts:
            extra += archive(java, plain, kind)
    pb.JAVA_OPTS[:] = plain + extra
    pb.AOT = False  # archives only as the variant says
    backend = pb.start_backend()
    t0 = time.time()
    with pb.environment(env):  # the router's process inherits it
        router = pb.start_whaleray(backend.port)  # returns after the first 200 through the router
    ready = time.time() - t0
    try:
        cpu0 = router.cpu_seconds()
        cold = pb.wrk(router.port, connections, first)
        cold["cpu"] = (router.cpu_seconds() - cpu0) * 1e6 / max(cold["good"], 1)
        left = warm
        while left > 0:
            pb.wrk(router.port, connections, min(5, left))
            left -= 5
        cpu0 = router.cpu_seconds()
        steady = pb.wrk(router.port, connections, first)
        steady["cpu"] = (router.cpu_seconds() - cpu0) * 1e6 / max(steady["good"], 1)
        return {"ready": ready, "first": cold, "steady": steady, "rss": router.rss_mb()}
    finally:
        router.stop()
        backend.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--first", type=int, default=5, help="seconds measured at once and at the end")
    ap.add_argument("--warm", type=int, default=40, help="seconds of load in between")
    ap.add_argument("--variant", action="append", required=True,
                    help="name=java:flags; the flag CDS or AOT adds a class-data archive or AOT"
                    " cache trained with --train 20000, e.g. 'aot=/usr/lib/jvm/x/bin/java:-Xmx128m AOT';"
                    " a WHALERAY_NAME=VALUE word is set in the router's environment instead,"
                    " e.g. WHALERAY_WARMUP=10s")
    args = ap.parse_args()
    variants = []
    for v in args.variant:
        name, rest = v.split("=", 1)
        java, flags = rest.split(":", 1)
        variants.append((name, java, flags.split()))
    results = {name: [] for name, _, _ in variants}
    started = time.time()
    for r in range(args.rounds):  # interleaved: A B C, A B C, ...
        for name, java, flags in variants:
            res = one_round(java, flags, args.connections, args.first, args.warm)
            results[name].append(res)
            print("round %d %-12s ready %.2f s, first %ds %6.0f req/s p99 %6.2f ms err %d;"
                  " steady %6.0f req/s p99 %6.2f ms err %d; CPU us/req first %.1f steady %.1f;"
                  " RSS %.0f MB"
                  % (r + 1, name, res["ready"], args.first, res["first"]["rps"],
                     res["first"]["p99"], res["first"]["errors"], res["steady"]["rps"],
                     res["steady"]["p99"], res["steady"]["errors"], res["first"]["cpu"],
                     res["steady"]["cpu"], res["rss"]),
                  file=sys.stderr, flush=True)
    print("\nwarm-up benchmark: %s, %d rounds, %d connections, first %d s at once, then %d s of"
          " load, then %d s steady; %.0f s in all\n"
          % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.rounds, args.connections,
             args.first, args.warm, args.first, time.time() - started))
    print("| variant | JVM and flags | ready s | first req/s | first p99 ms | steady req/s"
          " | steady p99 ms | first/steady req/s | first/steady p99 | CPU us/req first"
          " | CPU us/req steady | errors | RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, java, flags in variants:
        runs = results[name]
        med = lambda f: statistics.median(f(x) for x in runs)
        print("| %s | `%s %s` | %.2f | %.0f | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f | %.1f"
              " | %d | %.0f |" % (
            name, os.path.basename(os.path.dirname(os.path.dirname(java))) if "/" in java
            else java, " ".join(flags), med(lambda x: x["ready"]),
            med(lambda x: x["first"]["rps"]), med(lambda x: x["first"]["p99"]),
            med(lambda x: x["steady"]["rps"]), med(lambda x: x["steady"]["p99"]),
            med(lambda x: x["first"]["rps"] / x["steady"]["rps"]),
            med(lambda x: x["first"]["p99"] / x["steady"]["p99"]),
            med(lambda x: x["first"]["cpu"]), med(lambda x: x["steady"]["cpu"]),
            sum(x["first"]["errors"] + x["steady"]["errors"] for x in runs),
            med(lambda x: x["rss"])))


if __name__ == "__main__":
    pb.WORK = tempfile.mkdtemp(prefix="warmup-bench-")
    try:
        main()
    finally:
        shutil.rmtree(pb.WORK, ignore_errors=True)
