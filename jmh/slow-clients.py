#!/usr/bin/env python3
"""Slow clients beside a normal one: WhaleRay and nginx under slowhttptest, in one run.

For each proxy (the reference router jar and nginx 1.22 with its defaults, both proxying
/services/demo/ to the same fixed-response nginx backend) and each attack (1,000 slow-POST
connections, slowhttptest -B; 1,000 slowloris connections, slowhttptest -H), a probe sends one
normal GET on a new connection every 100 ms while the attack runs, and the table gives its
latencies (p50, p99, max), its failures and the share answered within 100 ms.

  python3 jmh/slow-clients.py                       # 45 s per attack and proxy (~4 min)
  python3 jmh/slow-clients.py --seconds 20 --connections 500
  python3 jmh/slow-clients.py --jar /tmp/old/whaleray-router.jar --only whaleray

Needs slowhttptest and nginx (Debian packages) and the router jar
(./mvnw -B -q package -DskipTests). Every server listens on 127.0.0.1 and is stopped at the end.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUTER_JAR = os.path.join(ROOT, "examples/reference-router/target/whaleray-router.jar")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def get(port, path, timeout):
    """One GET on a new connection; returns (seconds, status or error text)."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(("GET %s HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"
                       % path).encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            status = parts[1] if len(parts) > 1 else "no status line"
            return time.monotonic() - start, status
    except OSError as e:
        return time.monotonic() - start, type(e).__name__


def probe(port, path, stop, samples):
    while not stop.is_set():
        t0 = time.monotonic()
        samples.append(get(port, path, 10.0))
        time.sleep(max(0.0, 0.1 - (time.monotonic() - t0)))


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))
    return v[k]


def nginx_conf(work, port, body):
    return """
worker_processes 1;
pid %(work)s/nginx-%(port)d.pid;
error_log %(work)s/nginx-%(port)d.err warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path %(work)s/body-%(port)d;
  proxy_temp_path %(work)s/proxy-%(port)d;
  fastcgi_temp_path %(work)s/fcgi; uwsgi_temp_path %(work)s/uwsgi; scgi_temp_path %(work)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
    %(body)s
  }
}
""" % {"work": work, "port": port, "body": body}


def start(argv, log, env=None):
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env=dict(os.environ, **(env or {})))


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=25)
    except Exception:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except Exception:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=45)
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--jar", default=ROUTER_JAR)
    ap.add_argument("--only", default="whaleray,nginx")
    args = ap.parse_args()
    for tool in ("slowhttptest", "nginx"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            sys.exit("%s is missing: apt-get install %s" % (tool, tool))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    work = tempfile.mkdtemp(prefix="slow-clients-")
    procs = []
    try:
        backend_port = free_port()
        with open(os.path.join(work, "backend.conf"), "w") as f:
            f.write(nginx_conf(work, backend_port,
                               'location / { return 200 "ok\\n"; }'))
        procs.append(start([nginx, "-g", "daemon off;", "-c", os.path.join(work, "backend.conf")],
                           open(os.path.join(work, "backend.log"), "w")))
        wait_port(backend_port)
        proxies = {}
        if "whaleray" in args.only:
            port = free_port()
            cfg = os.path.join(work, "router.yaml")
            with open(cfg, "w") as f:
                f.write("discovery:\n  type: static\n  static:\n    demo: [ \"127.0.0.1:%d\" ]\n"
                        % backend_port)
            procs.append(start(["java", "-Xms64m", "-Xmx128m", "-XX:+UseSerialGC", "-jar",
                                args.jar, "--config", cfg],
                               open(os.path.join(work, "router.log"), "w"),
                               {"WHALERAY_PORT": str(port), "WHALERAY_HOST": "127.0.0.1",
                                "WHALERAY_ADMIN_PORT": "0"}))
            proxies["whaleray"] = port
        if "nginx" in args.only:
            port = free_port()
            with open(os.path.join(work, "proxy.conf"), "w") as f:
                f.write(nginx_conf(work, port,
                                   "location /services/demo/ { proxy_pass http://127.0.0.1:%d/; "
                                   "proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
                                   % backend_port))
            procs.append(start([nginx, "-g", "daemon off;", "-c",
                                os.path.join(work, "proxy.conf")],
                               open(os.path.join(work, "nginx.log"), "w")))
            proxies["nginx"] = port
        for port in proxies.values():
            wait_port(port)
        attacks = [
            ("slow POST (-B)", ["-B", "-s", "8192", "-x", "10", "-u",
                                "http://127.0.0.1:%d/services/demo/upload"]),
            ("slowloris (-H)", ["-H", "-x", "24", "-u", "http://127.0.0.1:%d/services/demo/"]),
        ]
        rows = []
        for label, attack in attacks:
            for name, port in proxies.items():
                for _ in range(3):  # warm-up
                    get(port, "/services/demo/", 5.0)
                argv = ["slowhttptest", "-c", str(args.connections), "-r", "200", "-i", "10",
                        "-l", str(args.seconds), "-p", "3"] + [a % port if "%d" in a else a
                                                               for a in attack]
                log = open(os.path.join(work, "slowhttptest-%s-%s.log"
                                        % (name, attack[0].strip("-"))), "w")
                attacker = subprocess.Popen(["bash", "-c", 'ulimit -n 65536; exec "$@"', "x"]
                                            + argv, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
                time.sleep(6)  # let the attack open its connections
                samples = []
                stop_probe = threading.Event()
                t = threading.Thread(target=probe, args=(port, "/services/demo/", stop_probe,
                                                         samples))
                t.start()
                time.sleep(max(1, args.seconds - 8))
                stop_probe.set()
                t.join()
                stop(attacker)
                ok = [s for s, status in samples if status == "200"]
                failed = len(samples) - len(ok)
                rows.append((label, name, len(samples), failed,
                             1000 * percentile(ok, 50), 1000 * percentile(ok, 99),
                             1000 * max(ok) if ok else float("nan"),
                             100.0 * sum(1 for s in ok if s <= 0.1) / max(1, len(samples))))
                time.sleep(3)
        print()
        print("| attack | proxy | probes | failed | p50 ms | p99 ms | max ms | within 100 ms |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print("| %s | %s | %d | %d | %.1f | %.1f | %.1f | %.1f %% |" % r)
        print()
        print("machine: %d cpus; %s; %s" % (os.cpu_count(), time.strftime("%Y-%m-%d %H:%M UTC",
                                                                         time.gmtime()),
                                              " ".join(sys.argv)))
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
