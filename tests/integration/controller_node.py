"""A flatnetd with its local API (and so the /controller routes) on a free
loopback port, for the controller API tests. No namespace, no root: the
node's UDP socket and API bind 127.0.0.1 only, and its planet names a root
at a loopback port nobody listens on, so it sends nothing off the host."""
import http.client
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from flatnet_procs import identities_and_planet, read, wait_for


def free_port():
    # Both UDP (the node) and TCP (the API) use the port: find one free in both.
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free loopback port")


class Node:
    def __init__(self, flatnetd, idtool, work):
        self.flatnetd = flatnetd
        self.work = work
        self.home = os.path.join(work, "node")
        # The planet's root is a second identity that never runs.
        identities_and_planet(idtool, work, ["node", "root"], [("root", "127.0.0.1")])
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(work, "flatnetd.log")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def token(self):
        return read(os.path.join(self.home, "authtoken.secret")).strip()

    def start(self):
        log = open(self.log, "a")
        self.proc = subprocess.Popen(
            [self.flatnetd, "-H", self.home, "--udp", "127.0.0.1:%d" % self.port,
             "-p", str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        wait_for("flatnetd's API", self.answers, 30)

    def answers(self):
        if self.proc.poll() is not None:
            raise RuntimeError("flatnetd exited with %d:\n%s" % (self.proc.returncode,
                                                                  read(self.log)[-3000:]))
        try:
            return self.call("GET", "/controller")[0] == 200
        except (OSError, urllib.error.URLError):
            return False

    def call(self, method, path, body=None, timeout=10):
        data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if data is None else data.encode())
        req.add_header("X-ZT1-Auth", self.token)
        if data is not None:
            # Not urllib's default form type: cpp-httplib (stock's too) caps
            # form bodies at 8 KiB.
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                try:
                    text = r.read().decode()
                except http.client.IncompleteRead:
                    # The status line came, the body was cut (the node was
                    # killed while writing it): the answer stands.
                    return r.status, None
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                return e.code, json.loads(text) if text else None
            except ValueError:
                return e.code, text

    def stop(self, sig=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
