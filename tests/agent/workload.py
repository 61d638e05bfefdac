#!/usr/bin/python3
"""Scripted workload for tests/agent/agent.sh: exec, fork, exit, TCP
connect/accept/close over IPv4 and IPv6, a refused connect, opens. Prints what
it did as JSON so the test can match the agent's events field by field."""
import json, os, socket, subprocess, sys

tmp = sys.argv[1]
done = {"pid": os.getpid()}

# exec + fork + exit with a known code
p = subprocess.Popen(["/bin/sh", "-c", "exit 7"])
p.wait()
done["child_pid"] = p.pid
done["child_exit"] = p.returncode

def tcp(family, addr):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((addr, 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    cli = socket.socket(family, socket.SOCK_STREAM)
    cli.connect((addr, port))
    cport = cli.getsockname()[1]
    conn, _ = srv.accept()
    cli.close()
    conn.close()
    srv.close()
    return port, cport

done["v4_port"], done["v4_cport"] = tcp(socket.AF_INET, "127.0.0.1")
try:
    done["v6_port"], done["v6_cport"] = tcp(socket.AF_INET6, "::1")
except OSError:
    done["v6_port"] = None

# a refused connect: bind a port, close it, connect to it
s = socket.socket(); s.bind(("127.0.0.1", 0)); refused = s.getsockname()[1]; s.close()
c = socket.socket()
try:
    c.connect(("127.0.0.1", refused))
except ConnectionRefusedError:
    pass
c.close()
done["refused_port"] = refused

missing = os.path.join(tmp, "does-not-exist")
try:
    open(missing)
except FileNotFoundError:
    pass
present = os.path.join(tmp, "present")
open(present, "w").close()
open(present).close()
done["missing"], done["present"] = missing, present
print(json.dumps(done))
