#!/usr/bin/env python3
# A small HTTP server on 127.0.0.1 that misbehaves on purpose where nginx cannot:
# it serves DIR, except for paths named in RULES (a JSON file read on every
# request: {"/path": "fault", ...}), with these faults:
#   500-once   the first request answers 500, later ones serve the file
#   reset      headers and half the body, then a TCP reset
#   truncate   Content-Length of the whole file, half the body, then close
#   slow       headers and half the body, then nothing for 60 s
#   long       the file and 4096 more bytes, with a matching Content-Length
#   hang       the request read, then nothing at all (no status line) for 60 s:
#              a black-holed repository
#   delay      the headers, then 1 s of nothing, then the whole body: a download
#              slow enough for two clients to overlap for real
# It also answers proxy requests (an absolute URI in the request line), so a test
# can show the client went through HTTP_PROXY. Every request is one line in LOG:
# "<request line> <status or fault>". Prints its port on stdout, then serves.
# Usage: faultserver.py DIR RULES LOG
import json
import os
import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

root, rules_path, log_path = sys.argv[1:4]
seen = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, what):
        with open(log_path, "a") as f:
            f.write("%s %s\n" % (self.requestline, what))

    def do_GET(self):
        path = unquote(urlsplit(self.path).path)
        try:
            rules = json.load(open(rules_path))
        except (OSError, ValueError):
            rules = {}
        fault = rules.get(path, "")
        if fault == "hang":
            self.note("hang")
            time.sleep(60)
            self.close_connection = True
            return
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not full.startswith(os.path.realpath(root) + "/") or not os.path.isfile(full):
            self.note("404")
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(full, "rb").read()
        n = seen.get(path, 0)
        seen[path] = n + 1
        if fault == "500-once":
            if n == 0:
                self.note("500")
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            fault = ""
        if fault == "long":
            data += b"\0" * 4096
        self.note(fault or "200")
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "delay":
            self.wfile.flush()
            time.sleep(1)
        if fault in ("reset", "truncate", "slow"):
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if fault == "slow":
                time.sleep(60)
            elif fault == "reset":
                # SO_LINGER 0: close sends RST, not FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
