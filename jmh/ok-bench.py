#!/usr/bin/env python3
"""The server side alone: nginx, Undertow, bare XNIO and bare JDK NIO answering the same 200 ok.

Each server runs on CPU 0 with one worker / IO thread (the Java ones with the Dockerfile's JVM
flags), wrk -t1 on CPU 1, as proxy-bench pins its proxies. Rounds are interleaved; the table
gives medians of requests/s, p99 and CPU per request, split into user and system time (from
/proc, children included), and each Java server's CPU per request against nginx's in the same
round. It bounds what an HTTP/1.1 server side of the router's own could save: the router's
proxy gap to nginx is measured by proxy-bench.py; here, how much of a server's cost is the
layer it is built on (JDK NIO, XNIO) and how much is Undertow's HTTP layer.

  python3 jmh/ok-bench.py [--connections 16,64,256] [--rounds 5] [--seconds 5] [--warmup 20]
"""
import argparse
import importlib.util
import os
import shutil
import statistics
import tempfile
import time

_spec = importlib.util.spec_from_file_location(
    "proxy_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-bench.py"))
pb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pb)

def start_nginx_ok():
    port = pb.free_port()
    prefix = os.path.join(pb.WORK, "nginx-ok")
    conf = pb.nginx_conf(prefix, """  server {
    listen 127.0.0.1:%d backlog=4096;
    location / { default_type text/plain; return 200 "ok\\n"; }
  }""" % port)
    s = pb.Server("nginx", ["nginx", "-p", prefix, "-c", conf, "-e", prefix + "/logs/error.log"],
                  port, 0)
    pb.wait_http(port, "/")
    return s


def start_java_ok(kind):
    port = pb.free_port()
    s = pb.Server(kind, [pb.JAVA] + pb.JAVA_OPTS + [
        "-cp", pb.BENCH_JAR, "dev.whaleray.jmh.OkServers", kind, str(port)], port, 0)
    pb.wait_http(port, "/")
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", default="16,64,256")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=20, help="JIT warm-up of each Java server, s")
    ap.add_argument("--only", default="nginx,undertow,xnio,nio")
    args = ap.parse_args()
    pb.JAVA = pb.find_java(pb.dockerfile_jdk())
    pb.WORK = tempfile.mkdtemp(prefix="ok-bench-")
    pb.PATH = "/"
    if not os.path.exists(pb.BENCH_JAR):
        raise SystemExit("build the benchmarks jar first: ./mvnw -B -q package -DskipTests -pl jmh -am")
    names = args.only.split(",")
    servers = []
    try:
        for name in names:
            servers.append(start_nginx_ok() if name == "nginx" else start_java_ok(name))
        for s in servers:
            if s.name != "nginx":
                deadline = time.time() + args.warmup
                while time.time() < deadline:
                    pb.wrk(s.port, 64, 4)
        print("java: %s, flags: %s" % (pb.JAVA, " ".join(pb.JAVA_OPTS)))
        print("%s UTC, %d rounds x %d s per server and count" % (
            time.strftime("%Y-%m-%d %H:%M", time.gmtime()), args.rounds, args.seconds))
        rows = []
        for c in [int(x) for x in args.connections.split(",")]:
            got = {s.name: [] for s in servers}
            for _ in range(args.rounds):
                for s in servers:
                    u0, s0 = s.cpu_split()
                    r = pb.wrk(s.port, c, args.seconds)
                    u1, s1 = s.cpu_split()
                    n = max(r["good"], 1)
                    got[s.name].append(dict(r, user=1e6 * (u1 - u0) / n, sys=1e6 * (s1 - s0) / n))
            for name, runs in got.items():
                med = {k: statistics.median(x[k] for x in runs)
                       for k in ("rps", "p99", "user", "sys", "errors")}
                cpu = [x["user"] + x["sys"] for x in runs]
                if "nginx" not in got:
                    ratio = "-"
                elif name == "nginx":
                    ratio = "1"
                else:
                    ratio = "%.2f" % statistics.median(
                        (x["user"] + x["sys"]) / max(g["user"] + g["sys"], 1e-9)
                        for x, g in zip(runs, got["nginx"]))
                rows.append((c, name, med, statistics.median(cpu), ratio))
        print("\n| connections | server | req/s | p99 ms | user µs/req | system µs/req "
              "| CPU µs/req | CPU x nginx | errors |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for c, name, med, cpu, ratio in rows:
            print("| %d | %s | %s | %.2f | %.1f | %.1f | %.1f | %s | %d |" % (
                c, name, format(round(med["rps"]), ","), med["p99"], med["user"], med["sys"],
                cpu, ratio, med["errors"]))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(pb.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
