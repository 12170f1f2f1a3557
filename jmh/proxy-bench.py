#!/usr/bin/env python3
"""The proxy benchmark: WhaleRay beside nginx, HAProxy, Undertow's ProxyHandler, Spring Cloud
Gateway and Vert.x's http-proxy, in one run.

Every contender proxies wrk's requests for /services/demo/ to the same fixed-response nginx
backend, stripping the /services/demo prefix, over keep-alive upstream connections. The proxy
under test is pinned to CPU 0; the backend and wrk share CPU 1. Contenders are measured
interleaved (A B C D E, A B C D E, ...) for several rounds at each connection count; the table
gives per contender the median requests/s, p50 and p99 latency, errors, the proxy's CPU time
(user + system, its process tree) per good answer, its RSS after its runs, and the medians of the
per-round ratios to nginx (requests/s, p99, CPU), to HAProxy (requests/s) and to direct.

Run it through jmh/proxy-bench.sh, which installs what is missing and builds the jars.
"""
import argparse
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUTER_JAR = os.path.join(ROOT, "examples/reference-router/target/whaleray-router.jar")
BENCH_JAR = os.path.join(ROOT, "jmh/target/benchmarks.jar")
# The two proxies users would pick instead of WhaleRay: standalone Maven projects outside the
# reactor (jmh/contenders/), built by proxy-bench.sh.
SCG_JAR = os.path.join(ROOT, "jmh/contenders/scg/target/scg-contender.jar")
VERTX_JAR = os.path.join(ROOT, "jmh/contenders/vertx/target/vertx-contender.jar")
DOCKERFILE = os.path.join(ROOT, "examples/reference-router/Dockerfile")


def dockerfile_flags():
    """The JVM flags of the reference router's container: its ENTRYPOINT's, between java and -jar.
    The benchmark measures with them, so the figures are those of the image."""
    with open(DOCKERFILE) as f:
        text = f.read()
    m = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", text, re.M)
    argv = json.loads(m.group(1))
    return argv[1:argv.index("-jar")]


def dockerfile_jdk():
    """The JDK feature release of the image (FROM eclipse-temurin:<n>-jre)."""
    with open(DOCKERFILE) as f:
        m = re.search(r"^FROM\s+\S+:(\d+)", f.read(), re.M)
    return int(m.group(1))


IMAGE_FLAGS = dockerfile_flags()
# Every Java contender runs with the image's flags, but for its AOT cache (a file of the image's,
# made for the router's jar): the router gets one of its own, trained as the Dockerfile does.
JAVA_OPTS = [f for f in IMAGE_FLAGS if not f.startswith("-XX:AOTCache=")]
AOT = any(f.startswith("-XX:AOTCache=") for f in IMAGE_FLAGS)  # --no-aot turns it off
_aot_caches = {}
# Spring Cloud Gateway's heap and GC; the same as the other Java contenders unless it cannot run
# with them (then raised here, and the run header prints it).
SCG_JAVA_OPTS = JAVA_OPTS
JAVA = "java"  # --java replaces it
PATH = "/services/demo/"


@contextlib.contextmanager
def environment(env):
    """os.environ with env added (processes started meanwhile inherit it), restored afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, timeout=30.0, h2=False):
    deadline = time.time() + timeout
    url = "http://127.0.0.1:%d%s" % (port, path)
    if h2:  # an h2c-only listener (nginx's) answers no HTTP/1.1: ask in HTTP/2
        while time.time() < deadline:
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                "--http2-prior-knowledge", url], capture_output=True, text=True)
            if r.stdout == "200":
                return
            time.sleep(0.05)
        raise RuntimeError("no 200 from %s within %ss" % (url, timeout))
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("no 200 from %s within %ss" % (url, timeout))


class Server:
    def __init__(self, name, argv, port, cpu, env=None, cwd=None):
        self.name, self.port = name, port
        full = ["taskset", "-c", str(cpu)] + argv
        self.log = open(os.path.join(WORK, name + ".log"), "w")
        self.proc = subprocess.Popen(full, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})), cwd=cwd,
                                     start_new_session=True)

    def cpu_seconds(self):
        """User + system CPU time of the process tree so far (nginx and HAProxy run workers)."""
        return sum(self.cpu_split())

    def cpu_split(self):
        """(user, system) CPU seconds of the process tree so far."""
        pids = [str(self.proc.pid)]
        try:
            pids += subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                   text=True).stdout.split()
        except Exception:
            pass
        user = system = 0
        for pid in pids:
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                user += int(fields[11])  # utime
                system += int(fields[12])  # stime
            except (OSError, IndexError, ValueError):
                pass
        tick = os.sysconf("SC_CLK_TCK")
        return user / tick, system / tick

    def rss_mb(self):
        """Resident memory of the process tree (nginx and HAProxy run workers) in MB."""
        pids = [str(self.proc.pid)]
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                 text=True).stdout.split()
            pids += out
        except Exception:
            pass
        total = 0
        for pid in pids:
            try:
                with open("/proc/%s/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024.0

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def nginx_conf(prefix, body):
    for d in ("logs", "tmp"):
        os.makedirs(os.path.join(prefix, d), exist_ok=True)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""worker_processes 1;
daemon off;
master_process on;
pid %(p)s/nginx.pid;
error_log %(p)s/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path %(p)s/tmp/body;
  proxy_temp_path %(p)s/tmp/proxy;
  fastcgi_temp_path %(p)s/tmp/fastcgi;
  uwsgi_temp_path %(p)s/tmp/uwsgi;
  scgi_temp_path %(p)s/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
%(body)s
}
""" % {"p": prefix, "body": body})
    return conf


def start_backend():
    port = free_port()
    prefix = os.path.join(WORK, "backend")
    conf = nginx_conf(prefix, """  server {
    listen 127.0.0.1:%d backlog=4096;
    location / { default_type text/plain; return 200 "ok\\n"; }
    location = /strip-check { default_type text/plain; return 200 "stripped\\n"; }
  }""" % port)
    s = Server("backend", ["nginx", "-p", prefix, "-c", conf, "-e", prefix + "/logs/error.log"],
               port, 1)
    wait_http(port, "/")
    return s


def start_nginx(backend_port):
    port = free_port()
    prefix = os.path.join(WORK, "nginx")
    conf = nginx_conf(prefix, """  upstream backend { server 127.0.0.1:%d; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:%d backlog=4096%s;
    location /services/demo/ {
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }""" % (backend_port, port, " http2" if H2 else ""))  # h2c by prior knowledge
    s = Server("nginx", ["nginx", "-p", prefix, "-c", conf, "-e", prefix + "/logs/error.log"],
               port, 0)
    wait_http(port, PATH, h2=H2)
    return s


def start_haproxy(backend_port):
    port = free_port()
    conf = os.path.join(WORK, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write("""global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend f
  bind 127.0.0.1:%d
  default_backend b
backend b
  http-request replace-path /services/demo(/.*)? \\1
  server s1 127.0.0.1:%d
""" % (port, backend_port))
    s = Server("haproxy", ["haproxy", "-f", conf, "-db"], port, 0)
    wait_http(port, PATH)
    return s


def start_undertow(backend_port):
    port = free_port()
    s = Server("undertow", [JAVA] + JAVA_OPTS + ["-cp", BENCH_JAR,
               "dev.whaleray.jmh.StockUndertowProxy", str(port), str(backend_port)], port, 0)
    wait_http(port, PATH)
    return s


def start_relay(backend_port):
    """Not a proxy: XNIO relaying bytes (OkServers relay), the floor of any proxy on that IO layer."""
    port = free_port()
    s = Server("relay", [JAVA] + JAVA_OPTS + ["-cp", BENCH_JAR,
               "dev.whaleray.jmh.OkServers", "relay", str(port), str(backend_port)], port, 0)
    wait_http(port, PATH)
    check_proxying(port)
    return s


def check_proxying(port):
    """That a contender answers PATH with the backend's body and strips the prefix: the backend
    answers /strip-check (never requested by the benchmark) with its own body, and anything
    else, /services/demo/strip-check included, with "ok"."""
    for path, body in ((PATH, b"ok\n"), (PATH + "strip-check", b"stripped\n")):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            got = r.read()
        if got != body:
            raise RuntimeError("port %d: %s answered %r, not %r" % (port, path, got, body))


def start_scg(backend_port):
    """Spring Cloud Gateway 5.0 (WebFlux, Reactor Netty): one route, /services/demo/** to the
    backend with StripPrefix=2, pooled keep-alive upstream (jmh/contenders/scg)."""
    port = free_port()
    s = Server("scg", [JAVA] + SCG_JAVA_OPTS + ["-jar", SCG_JAR, "--server.port=%d" % port,
               "--server.address=127.0.0.1", "--backend.port=%d" % backend_port], port, 0)
    wait_http(port, PATH, timeout=120)  # Spring Boot on one core: 10 to 30 s
    check_proxying(port)
    return s


def start_vertx(backend_port):
    """Vert.x 5 HttpProxy, one event loop, a 256-connection keep-alive pool
    (jmh/contenders/vertx)."""
    port = free_port()
    s = Server("vertx", [JAVA] + JAVA_OPTS + ["-jar", VERTX_JAR, str(port), str(backend_port)],
               port, 0)
    wait_http(port, PATH)
    check_proxying(port)
    return s


def start_whaleray(backend_port, jar=None, name="whaleray", observed=False, log=None,
                   metrics=None, flags=None):
    """The reference router; as nginx here, without access log and metrics, unless observed:
    then with its defaults, the JSON access log (to a file, as stdout) and metrics (admin port
    on: with it off nothing is recorded)."""
    port = free_port()
    conf = os.path.join(WORK, name + ".yaml")
    with open(conf, "w") as f:
        f.write('discovery:\n  static:\n    demo: [ "127.0.0.1:%d" ]\n' % backend_port)
    env = {"WHALERAY_PORT": str(port), "WHALERAY_ADMIN_PORT": "0", "WHALERAY_ACCESS_LOG": "false"}
    if observed or metrics:
        env["WHALERAY_ADMIN_PORT"] = str(free_port())
    if observed or log:
        env["WHALERAY_ACCESS_LOG"] = "true"
    # A --variant's flags replace the image's (and its AOT cache, trained with those).
    opts = flags if flags is not None else JAVA_OPTS + aot_flags(jar or ROUTER_JAR)
    s = Server(name, [JAVA] + opts + [
               "-jar", jar or ROUTER_JAR, "--config", conf], port, 0, env=env)
    wait_http(port, PATH, h2=H2)
    return s


@functools.lru_cache(maxsize=None)
def java_major(java):
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)', out)
    return int(m.group(1)) if m else 0


def find_java(major):
    """A JDK of that feature release in /usr/lib/jvm, else plain java."""
    for d in sorted(os.listdir("/usr/lib/jvm")) if os.path.isdir("/usr/lib/jvm") else []:
        java = os.path.join("/usr/lib/jvm", d, "bin", "java")
        if os.path.exists(java) and java_major(java) == major:
            return java
    return "java"


def train(java, opts, jar, write_flag, path):
    """The router jar's training run, as the Dockerfile's (--train 20000, no access log), with
    write_flag + path (-XX:AOTCacheOutput= or -XX:ArchiveClassesAtExit=); True when it wrote path."""
    r = subprocess.run(["taskset", "-c", "0", java] + opts + [write_flag + path, "-jar", jar,
                        "--train", "20000"], cwd=WORK, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL,
                       env=dict(os.environ, WHALERAY_PORT="0", WHALERAY_ADMIN_PORT="0",
                                WHALERAY_ACCESS_LOG="false"))
    if r.returncode != 0 or not os.path.exists(path):  # e.g. a jar from before --train
        print("no archive for %s: its --train run exited %d" % (jar, r.returncode),
              file=sys.stderr)
        return False
    return True


def aot_flags(jar):
    """-XX:AOTCache for the router's jar, trained once per jar as the Dockerfile does
    (--train 20000 with the image's flags); none when off or before JDK 25."""
    if not AOT or java_major(JAVA) < 25:
        return []
    if jar not in _aot_caches:
        cache = os.path.join(WORK, "router-%d.aot" % len(_aot_caches))
        _aot_caches[jar] = cache if train(JAVA, JAVA_OPTS, jar, "-XX:AOTCacheOutput=", cache) \
            else None
    if _aot_caches[jar] is None:
        return []
    return ["-XX:AOTCache=" + _aot_caches[jar]]


JAVA_CONTENDERS = ("undertow", "scg", "vertx", "whaleray", "relay")  # name prefixes: JIT warm-up
HOST = None  # --host: the Host header wrk sends (default: wrk's own, 127.0.0.1:<port>)
H2 = False  # --h2: HTTP/2 (h2c by prior knowledge) from h2load instead of HTTP/1.1 from wrk
H2_STREAMS = 10  # concurrent streams per connection with --h2


def h2load(port, connections, seconds):
    """h2load over h2c: good requests/s; h2load gives no percentiles, so p50 is its mean time
    per request and p99 its maximum."""
    out = subprocess.run(
        ["taskset", "-c", "1", "h2load", "-t1", "-c%d" % connections, "-m%d" % H2_STREAMS,
         "-D", str(seconds), "http://127.0.0.1:%d%s" % (port, PATH)],
        capture_output=True, text=True).stdout
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
    codes = re.search(r"status codes: (\d+) 2xx", out)
    good = int(codes.group(1)) if codes else 0
    secs = float(re.search(r"finished in ([\d.]+)s", out).group(1))

    def ms(v, unit):
        v = float(v)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    t = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)",
                  out)
    return {"rps": good / secs if secs else 0.0, "p50": ms(t.group(5), t.group(6)) if t else 0,
            "p99": ms(t.group(3), t.group(4)) if t else 0, "errors": int(m.group(3)) - good,  # done but not 2xx
            "good": good}


def wrk(port, connections, seconds):
    if H2:
        return h2load(port, connections, seconds)
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds,
         "--latency", "--timeout", "5s"] + (["-H", "Host: " + HOST] if HOST else []) +
        ["http://127.0.0.1:%d%s" % (port, PATH)],
        capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))

    def latency(pct):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    # Throughput counts good answers only: a proxy that fails fast with 503 is not faster.
    good = rps * (total - min(errors, total)) / total if total else 0.0
    return {"rps": good, "p50": latency(50), "p99": latency(99), "errors": errors,
            "good": total - min(errors, total)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--java", help="the java launcher for the Java contenders (default: a JDK"
                    " of the Dockerfile's release from /usr/lib/jvm, else java on PATH)")
    ap.add_argument("--host", help="the Host header of every request, e.g. a DNS name as an ALB"
                    " passes on (default: wrk's 127.0.0.1:<port>, an IP literal)")
    ap.add_argument("--no-aot", action="store_true",
                    help="the router without the Dockerfile's AOT cache")
    ap.add_argument("--seconds", type=int, default=6, help="per measurement")
    ap.add_argument("--warmup", type=int, default=60,
                    help="JIT warm-up of each Java proxy, s (in wrk runs of 4 s)")
    ap.add_argument("--connections", default="16,64,256")
    ap.add_argument("--only", default="direct,nginx,haproxy,undertow,scg,vertx,whaleray")
    ap.add_argument("--h2", action="store_true",
                    help="HTTP/2 (h2c, %d streams a connection) from h2load, for nginx and the"
                    " router; the tables' p50 is h2load's mean and p99 its maximum" % H2_STREAMS)
    ap.add_argument("--before-jar", help="another whaleray-router.jar, measured as"
                    " 'whaleray-before' beside the current one (before/after a tuning step)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=FLAGS",
                    help="the router again as 'whaleray-NAME' with these JVM flags instead of the"
                    " Dockerfile's (and without its AOT cache), e.g. to see what a heap or GC"
                    " setting does to the tail; repeatable")
    args = ap.parse_args()
    global JAVA, H2, AOT, HOST
    H2 = args.h2
    HOST = args.host
    JAVA = args.java or find_java(dockerfile_jdk())
    AOT = AOT and not args.no_aot
    java_version = subprocess.run([JAVA, "-version"], capture_output=True, text=True).stderr
    java_version = java_version.splitlines()[0] if java_version else "?"
    conns = [int(c) for c in args.connections.split(",")]
    names = args.only.split(",")
    if args.before_jar:
        names.append("whaleray-before")
    variants = dict(v.split("=", 1) for v in args.variant)
    names += ["whaleray-" + v for v in variants]

    started = time.time()
    backend = start_backend()
    servers = {}
    try:
        starters = {"nginx": start_nginx, "haproxy": start_haproxy,
                    "undertow": start_undertow, "scg": start_scg, "vertx": start_vertx,
                    "relay": start_relay,
                    "whaleray": start_whaleray,
                    "whaleray-observed": lambda p: start_whaleray(
                        p, None, "whaleray-observed", observed=True),
                    "whaleray-log": lambda p: start_whaleray(p, None, "whaleray-log", log=True),
                    "whaleray-metrics": lambda p: start_whaleray(
                        p, None, "whaleray-metrics", metrics=True),
                    "whaleray-before": lambda p: start_whaleray(
                        p, os.path.abspath(args.before_jar), "whaleray-before")}
        for v, flags in variants.items():
            starters["whaleray-" + v] = (lambda f, n: lambda p: start_whaleray(
                p, None, n, flags=f.split()))(flags, "whaleray-" + v)
        for n in names:
            if n != "direct":
                servers[n] = starters[n](backend.port)
        ports = {n: (backend.port if n == "direct" else servers[n].port) for n in names}
        idle = {n: servers[n].rss_mb() for n in servers}
        for n in names:  # warm-up: JIT for the JVMs, connection pools for all
            if n.startswith(JAVA_CONTENDERS):
                # In runs of at most 4 s on fresh connections: closing and accepting connections
                # deoptimizes hot compiled code, and after one long run the JIT was still
                # recompiling (over 100 C2 compilations) on the proxy's core during the first
                # measured rounds, which then measured the compiler, not the proxy.
                # Cycling through the measured connection counts, so the profile the JIT
                # compiles for is the one measured.
                left, i = args.warmup, 0
                while left > 0:
                    wrk(ports[n], conns[i % len(conns)], min(4, left))
                    left -= 4
                    i += 1
            else:
                wrk(ports[n], 64, 2)
        results = {(n, c): [] for n in names for c in conns}
        for r in range(args.rounds):
            for c in conns:
                for n in names:
                    proc = servers.get(n, backend)  # direct: the backend's own CPU
                    cpu0 = proc.cpu_seconds()
                    res = wrk(ports[n], c, args.seconds)
                    # CPU per good answer, in microseconds (the proxy's process tree).
                    res["cpu"] = (proc.cpu_seconds() - cpu0) * 1e6 / max(res["good"], 1)
                    results[(n, c)].append(res)
                    print("round %d c=%-3d %-9s %9.0f req/s p50 %6.2f ms p99 %6.2f ms errors %d"
                          " cpu %.1f us/req"
                          % (r + 1, c, n, res["rps"], res["p50"], res["p99"], res["errors"],
                             res["cpu"]), file=sys.stderr, flush=True)
        rss = {n: (servers[n].rss_mb() if n in servers else backend.rss_mb()) for n in names}
    finally:
        for s in servers.values():
            s.stop()
        backend.stop()

    print("\nproxy benchmark: %s, %d rounds x %d s per point, %s connections, %.0f s in all"
          % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.rounds, args.seconds,
             args.connections, time.time() - started))
    print("proxy pinned to CPU 0; backend (nginx, fixed 200 'ok') and wrk -t1 on CPU 1;"
          " Java: %s (%s); the router also %s"
          % (" ".join(JAVA_OPTS), java_version,
             "-XX:AOTCache (trained with --train 20000)" if aot_flags(ROUTER_JAR)
             else "without an AOT cache"))
    if "scg" in names:
        print("Spring Cloud Gateway: %s" % " ".join(SCG_JAVA_OPTS))
    print("RSS idle (after start, before load): %s; RSS after load in the tables\n"
          % ", ".join("%s %.0f MB" % (n, idle[n]) for n in sorted(idle)))
    for c in conns:
        print("### %d connections\n" % c)
        print("| contender | good req/s (median) | p50 ms | p99 ms | errors | CPU us/req | RSS MB"
              " | x nginx | x haproxy | p99 x nginx | CPU x nginx | x direct |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in names:
            runs = results[(n, c)]
            med = lambda k: statistics.median(x[k] for x in runs)

            def ratio(base, key="rps"):
                if base not in names:
                    return "-"
                return "%.2f" % statistics.median(
                    runs[i][key] / results[(base, c)][i][key] for i in range(len(runs)))
            print("| %s | %.0f | %.2f | %.2f | %d | %.1f | %s | %s | %s | %s | %s | %s |" % (
                n, med("rps"), med("p50"), med("p99"), sum(x["errors"] for x in runs),
                med("cpu"), "%.0f" % rss[n] if n != "direct" else "-", ratio("nginx"),
                ratio("haproxy"), ratio("nginx", "p99"), ratio("nginx", "cpu"),
                ratio("direct")))
        print()


if __name__ == "__main__":
    WORK = tempfile.mkdtemp(prefix="proxy-bench-")
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
