#!/usr/bin/env python3
"""Profiles the reference router under wrk with JFR, at each connection count, as proxy-bench runs it.

Same setup as jmh/proxy-bench.py (router pinned to CPU 0, nginx backend and wrk -t1 on CPU 1, the
same JVM flags); after a warm-up, one JFR recording (settings=profile: execution samples every
10-20 ms per thread and allocation samples) per connection count. Prints per count the requests/s,
the top frames by self time, the top frames of the router's own code (dev.whaleray) anywhere on
the stack, and the top allocated classes by sampled weight, so a change can be profiled before and
after. Recordings are kept in --out for `jfr print` or JDK Mission Control. Also per count: user and
system CPU time per request (from /proc), beside the same for nginx as a proxy in the same run.

JFR samples Java code only; the IO thread spends most of its time in the kernel. With
--async-profiler LIB (libasyncProfiler.so, e.g. from Maven Central's tools.profiler:async-profiler
jar, linux-x64/) the router is also profiled in CPU mode with kernel and native frames after the
JFR recording: the IO thread's time split into kernel and user, its user time by the first
non-JDK frame, and its kernel time by the JDK call that entered it.

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
    events.sort(key=lambda e: e["values"].get("startTime", ""))  # each thread's first sample first
    self_time, ours, alloc_cls, alloc_site = (collections.Counter() for _ in range(4))
    samples = 0
    alloc_total = 0
    seen_threads = set()  # a thread's first sample weighs all it allocated before the recording
    for e in events:
        fr = frames(e)
        if e["type"] == "jdk.ExecutionSample":
            samples += 1
            if fr:
                self_time[fr[0]] += 1
            for name in dict.fromkeys(f for f in fr if f.startswith("dev.whaleray")):
                ours[name] += 1
        else:
            thread = (e["values"].get("eventThread") or {}).get("javaName", "?")
            if thread not in seen_threads:
                seen_threads.add(thread)
                continue
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


def summarize_native(path, top):
    """The IO thread's CPU samples (collapsed stacks from async-profiler's cpu mode)."""
    total = user = 0
    owner, entry = collections.Counter(), collections.Counter()
    with open(path) as f:
        for line in f:
            stack, n = line.rsplit(" ", 1)
            fr, n = stack.split(";"), int(n)
            if not any("WorkerThread.run" in x for x in fr):
                continue  # not an IO thread
            total += n
            kernel = [i for i, x in enumerate(fr) if x.endswith("_[k]")]
            if kernel:
                j = kernel[0] - 1
                while j > 0 and "/" not in fr[j]:
                    j -= 1  # past libc and JNI stubs to the Java method
                entry[fr[j].replace("/", ".")] += n
                continue
            user += n
            site = next((x for x in reversed(fr)
                         if "/" in x and not x.startswith(("java/", "jdk/", "sun/"))), "?")
            owner[site.replace("/", ".")] += n
    if not total:
        print("no IO thread samples in %s" % path)
        return
    print("\nIO thread, async-profiler cpu samples: %d, kernel %.1f %%, user %.1f %%"
          % (total, 100.0 * (total - user) / total, 100.0 * user / total))
    print("user time by first non-JDK frame (share of user time):")
    for name, n in owner.most_common(top):
        print("  %5.1f %%  %s" % (100.0 * n / user, name))
    print("kernel time by the JDK call that entered it (share of IO thread time):")
    for name, n in entry.most_common(6):
        print("  %5.1f %%  %s" % (100.0 * n / total, name))


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
    ap.add_argument("--async-profiler", metavar="LIB",
                    help="libasyncProfiler.so: also a CPU profile with kernel frames per count")
    args = ap.parse_args()
    pb.JAVA = args.java or pb.find_java(pb.dockerfile_jdk())
    if args.java_opts is not None:
        pb.JAVA_OPTS[:] = args.java_opts.split()
    if args.async_profiler and pb.java_major(pb.JAVA) >= 21:
        pb.JAVA_OPTS.append("-XX:+EnableDynamicAgentLoading")  # attached after the warm-up
    if args.async_profiler:
        # Debug info at every instruction, not only at safepoints, from the start: an agent
        # attached after the warm-up gets it only for code compiled after, and without it the
        # samples in inlined code land on whatever frame the nearest safepoint names.
        pb.JAVA_OPTS += ["-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints"]
    os.makedirs(args.out, exist_ok=True)
    pb.WORK = tempfile.mkdtemp(prefix="profile-router-")
    backend = pb.start_backend()
    router = nginx = None
    try:
        router = pb.start_whaleray(backend.port, jar=args.jar)
        nginx = pb.start_nginx(backend.port)
        conns = [int(c) for c in args.connections.split(",")]
        left, i = args.warmup, 0
        while left > 0:
            pb.wrk(router.port, conns[i % len(conns)], min(4, left))
            left -= 4
            i += 1
        pid = str(router.proc.pid)
        for c in conns:
            path = os.path.join(args.out, "router-c%d.jfr" % c)
            # CPU time per request from a run without a recording, like nginx's.
            cpu0 = router.cpu_split()
            plain = pb.wrk(router.port, c, args.seconds)
            cpu1 = router.cpu_split()
            subprocess.run(["jcmd", pid, "JFR.start", "name=p%d" % c, "settings=profile"],
                           check=True, capture_output=True)
            res = pb.wrk(router.port, c, args.seconds)
            subprocess.run(["jcmd", pid, "JFR.stop", "name=p%d" % c, "filename=" + path],
                           check=True, capture_output=True)
            n0 = nginx.cpu_split()
            ng = pb.wrk(nginx.port, c, args.seconds)
            n1 = nginx.cpu_split()
            print("\n## %d connections: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d, RSS %d MB"
                  " (%s)\n" % (c, res["rps"], res["p50"], res["p99"], res["errors"],
                                router.rss_mb(), path))
            print("CPU per request, user + system (runs without a recording): router %.1f + %.1f"
                  " us (%.0f req/s), nginx %.1f + %.1f us (%.0f req/s)" % (
                      1e6 * (cpu1[0] - cpu0[0]) / max(plain["good"], 1),
                      1e6 * (cpu1[1] - cpu0[1]) / max(plain["good"], 1), plain["rps"],
                      1e6 * (n1[0] - n0[0]) / max(ng["good"], 1),
                      1e6 * (n1[1] - n0[1]) / max(ng["good"], 1), ng["rps"]))
            summarize(path, args.top, res["good"])
            if args.async_profiler:
                collapsed = os.path.join(args.out, "router-c%d.collapsed" % c)
                agent = ["jcmd", pid, "JVMTI.agent_load", os.path.abspath(args.async_profiler)]
                # quoted: jcmd would read "start,event=cpu" as an option named "start,event"
                subprocess.run(agent + ['"start,event=cpu,interval=1ms"'], check=True,
                               capture_output=True)
                pb.wrk(router.port, c, args.seconds)
                subprocess.run(agent + ['"stop,collapsed,file=%s"' % collapsed], check=True,
                               capture_output=True)
                summarize_native(collapsed, args.top)
    finally:
        for s in (router, nginx, backend):
            if s:
                s.stop()
        shutil.rmtree(pb.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
