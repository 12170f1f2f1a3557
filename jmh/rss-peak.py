#!/usr/bin/env python3
"""RSS of the reference router from start-up through four 6 s load steps (16, 64, 256 and 16
connections, no warm-up), sampled every 50 ms: the peak (the JIT's first seconds) and the RSS after
each step. The router starts as jmh/proxy-bench.py starts it (pinned to CPU 0, wrk and the nginx
backend on CPU 1), with the given JVM flags and, on JDK 25, an AOT cache trained with them.

  python3 jmh/rss-peak.py --name young28 --flags "-XX:+UseParallelGC ... -Xmn28m" --runs 2
"""
import argparse
import importlib.util
import os
import shutil
import tempfile
import threading
import time

_spec = importlib.util.spec_from_file_location(
    "pb", os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-bench.py"))
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", default="router")
    ap.add_argument("--flags", help="JVM flags (default: the Dockerfile's)")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--host", default="demo.example.com")
    args = ap.parse_args()
    pb.WORK = tempfile.mkdtemp(prefix="rss-peak-")
    pb.JAVA = pb.find_java(pb.dockerfile_jdk())
    pb.HOST = args.host
    if args.flags:
        pb.JAVA_OPTS = args.flags.split()
    backend = pb.start_backend()
    try:
        for run in range(args.runs):
            router = pb.start_whaleray(backend.port, name="router-%d" % run)
            peak, stop = [0.0], [False]

            def sample():
                while not stop[0]:
                    peak[0] = max(peak[0], router.rss_mb())
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            after = []
            try:
                for c in (16, 64, 256, 16):
                    pb.wrk(router.port, c, 6)
                    after.append(router.rss_mb())
            finally:
                stop[0] = True
                sampler.join()
                router.stop()
            print("%s run %d: peak %.1f MB, after each step %s MB" % (
                args.name, run + 1, peak[0], " / ".join("%.1f" % x for x in after)), flush=True)
    finally:
        backend.stop()
        shutil.rmtree(pb.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
