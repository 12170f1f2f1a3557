#!/usr/bin/env python3
"""Profiles the reference router under wrk with JFR, at each connection count, as proxy-bench runs it.

Same setup as jmh/proxy-bench.py (router pinned to CPU 0, nginx backend and wrk -t1 on CPU 1, the
same JVM flags); after a warm-up, one JFR recording (settings=profile: execution samples every
10-20 ms per thread and allocation samples) per connection count. Prints per count the requests/s,
the top frames by self time, the top frames of the router's own code (dev.whaleray) anywhere on
the stack, and the top allocated classes by sampled weight, so a change can be profiled before and
after. Recordings are kept in --out for `jfr print` or JDK Mission Control.

    python3 jmh/profile-router.py --connections 16,64,256 --seconds 20 --out /tmp/prof
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util

_spec = importlib.util.spec_from_file_location(
    "proxy_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-bench.py"))
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)


def frames(event):
    st = event.get("values", {}).get("stackTrace") or {}
    out = []
    for f in st.get("frames", []) or []:
        m = f.get("method", {})
        t = (m.get("type") or {}).get("name", "?")
        out.append("%s.%s" % (t.replace("/", "."), m.get("name", "?")))
    return out


def summarize(path, top, requests):
    data = json.loads(subprocess.run(
        ["jfr", "print", "--json", "--events", "jdk.ExecutionSample,jdk.ObjectAllocationSample,"
         "jdk.ThreadAllocationStatistics,jdk.GarbageCollection", path],
        capture_output=True, text=True, check=True).stdout)
    events = data.get("recording", {}).get("events", [])
    # Exact, not sampled: each thread's allocated bytes at the recording's start and end (JFR
    # emits jdk.ThreadAllocationStatistics once per chunk), so the figure does not move with this
    # VM's speed the way requests/s and CPU time do; and the young collections it causes.
    allocated = collections.defaultdict(list)
    pauses = []
    for e in events:
        if e["type"] == "jdk.ThreadAllocationStatistics":
            allocated[(e["values"].get("thread") or {}).get("javaName", "?")].append(
                int(e["values"].get("allocated", 0)))
        elif e["type"] == "jdk.GarbageCollection":
            pauses.append(float(e["values"].get("sumOfPauses", "PT0S")[2:-1] or 0))
    io_bytes = sum(max(v) - min(v) for name, v in allocated.items() if "I/O" in name)
    all_bytes = sum(max(v) - min(v) for v in allocated.values())
    if requests:
        print("allocated per request: %.0f B on the IO threads, %.0f B in all threads"
              % (io_bytes / requests, all_bytes / requests))
    print("collections: %d, pauses %.1f ms in all, longest %.2f ms"
          % (len(pauses), 1000 * sum(pauses), 1000 * max(pauses, default=0)))
    events = [e for e in events if e["type"] in ("jdk.ExecutionSample", "jdk.ObjectAllocationSample")]
    self_time, ours, alloc_cls, alloc_site = (collections.Counter() for _ in range(4))
    samples = 0
    alloc_total = 0
    for e in events:
        fr = frames(e)
        if e["type"] == "jdk.ExecutionSample":
            samples += 1
            if fr:
                self_time[fr[0]] += 1
            for name in dict.fromkeys(f for f in fr if f.startswith("dev.whaleray")):
                ours[name] += 1
        else:
            w = int(e["values"].get("weight", 0))
            alloc_total += w
            alloc_cls[(e["values"].get("objectClass") or {}).get("name", "?")] += w
            site = next((f for f in fr if not f.startswith(("java.", "jdk.", "sun."))), "?")
            alloc_site[site] += w
    print("execution samples: %d" % samples)
    print("\ntop self frames (share of samples):")
    for name, n in self_time.most_common(top):
        print("  %5.1f %%  %s" % (100.0 * n / samples, name))
    print("\ndev.whaleray frames on the stack (inclusive share):")
    for name, n in ours.most_common(top):
        print("  %5.1f %%  %s" % (100.0 * n / samples, name))
    print("\nallocation by class (share of sampled weight):")
    for name, w in alloc_cls.most_common(top):
        print("  %5.1f %%  %s" % (100.0 * w / max(alloc_total, 1), name))
    print("\nallocation by first non-JDK frame:")
    for name, w in alloc_site.most_common(top):
        print("  %5.1f %%  %s" % (100.0 * w / max(alloc_total, 1), name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", default="16,64,256")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=40)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--jar", help="router jar (default: the reference router's)")
    ap.add_argument("--java", help="default: as jmh/proxy-bench.py (the Dockerfile's JDK)")
    ap.add_argument("--java-opts", help="replaces proxy-bench's JVM flags")
    ap.add_argument("--out", default="/tmp/whaleray-profile")
    args = ap.parse_args()
    pb.JAVA = args.java or pb.find_java(pb.dockerfile_jdk())
    if args.java_opts is not None:
        pb.JAVA_OPTS[:] = args.java_opts.split()
    os.makedirs(args.out, exist_ok=True)
    pb.WORK = tempfile.mkdtemp(prefix="profile-router-")
    backend = pb.start_backend()
    router = None
    try:
        router = pb.start_whaleray(backend.port, jar=args.jar)
        conns = [int(c) for c in args.connections.split(",")]
        left, i = args.warmup, 0
        while left > 0:
            pb.wrk(router.port, conns[i % len(conns)], min(4, left))
            left -= 4
            i += 1
        pid = str(router.proc.pid)
        for c in conns:
            path = os.path.join(args.out, "router-c%d.jfr" % c)
            subprocess.run(["jcmd", pid, "JFR.start", "name=p%d" % c, "settings=profile"],
                           check=True, capture_output=True)
            res = pb.wrk(router.port, c, args.seconds)
            subprocess.run(["jcmd", pid, "JFR.stop", "name=p%d" % c, "filename=" + path],
                           check=True, capture_output=True)
            print("\n## %d connections: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d, RSS %d MB"
                  " (%s)\n" % (c, res["rps"], res["p50"], res["p99"], res["errors"],
                                router.rss_mb(), path))
            summarize(path, args.top, res["good"])
    finally:
        if router:
            router.stop()
        backend.stop()
        shutil.rmtree(pb.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
