#!/usr/bin/env python3
"""Heap held per idle kept-alive client connection, on the router's own HTTP/1.1 request side and
on Undertow's.

Starts the reference router (`--demo`, the image's heap flags) with -Dwhaleray.ownHttp1=true, then
false, alternately; opens N connections that each send one request and keep the connection open;
reads the heap in use after a full GC (jcmd GC.run, GC.heap_info) before and after, and prints the
difference per connection. Needs N file descriptors (ulimit -n).

  python3 jmh/idle-connections.py [--jar J] [--connections 3000] [--runs 2]
"""

import argparse
import os
import re
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def heap_used_kb(jcmd, pid):
    subprocess.run([jcmd, str(pid), "GC.run"], capture_output=True, check=False)
    time.sleep(0.5)
    out = subprocess.run([jcmd, str(pid), "GC.heap_info"], capture_output=True, text=True,
                         check=False).stdout
    return sum(int(u) for u in re.findall(r"total \d+K, used (\d+)K", out))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(java, jar, own, n):
    port = free_port()
    env = dict(os.environ, WHALERAY_PORT=str(port), WHALERAY_ADMIN_PORT="0",
               WHALERAY_ACCESS_LOG="false")
    p = subprocess.Popen([java, "-XX:+UseParallelGC", "-XX:ParallelGCThreads=1", "-Xms32m",
                          "-Xmx96m", "-Dwhaleray.ownHttp1=" + ("true" if own else "false"),
                          "-jar", jar, "--demo"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socks = []
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("the router did not listen within 30 s")
                time.sleep(0.1)
        time.sleep(1)
        jcmd = os.path.join(os.path.dirname(java), "jcmd")
        before = heap_used_kb(jcmd, p.pid)
        req = b"GET /health HTTP/1.1\r\nHost: demo.example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n"
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(req)
            socks.append(s)
        for s in socks:
            s.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("a connection closed before its answer")
                data += chunk
        time.sleep(1)
        after = heap_used_kb(jcmd, p.pid)
        print("ownHttp1=%-5s %d idle connections: heap in use %d KB -> %d KB, %.2f KB per"
              " connection" % (own, n, before, after, (after - before) / n), flush=True)
    finally:
        for s in socks:
            s.close()
        p.terminate()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default=os.path.join(
        HERE, "..", "examples", "reference-router", "target", "whaleray-router.jar"))
    ap.add_argument("--java", default="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    ap.add_argument("--connections", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    print("idle connections: %s, %s, %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                           args.jar, args.java))
    for _ in range(args.runs):
        for own in (True, False):
            run(args.java, os.path.abspath(args.jar), own, args.connections)


if __name__ == "__main__":
    main()
