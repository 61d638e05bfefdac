#!/usr/bin/python3
"""Match the agent's JSON events against what workload.py says it did."""
import json, sys

events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
w = json.loads(open(sys.argv[2]).read())
pid, child = w["pid"], w["child_pid"]
fails = []

def find(desc, pred):
    for e in events:
        try:
            if pred(e):
                return e
        except KeyError:
            pass
    fails.append(desc)

find("exec of /bin/sh -c 'exit 7' by the child, ppid = workload",
     lambda e: e["kind"] == "exec" and e["pid"] == child and e["filename"] == "/bin/sh"
     and e["args"] == ["/bin/sh", "-c", "exit 7"] and e["ppid"] == pid and e["uid"] == 0)
find("fork: workload -> child", lambda e: e["kind"] == "fork" and e["pid"] == pid and e["child_pid"] == child)
find("exit of the child with code 7", lambda e: e["kind"] == "exit" and e["pid"] == child
     and e["exit_code"] == 7 and e["signal"] == 0 and e["ppid"] == pid)
for fam, lo, port, cport in (("ipv4", "127.0.0.1", w["v4_port"], w["v4_cport"]),
                             ("ipv6", "::1", w.get("v6_port"), w.get("v6_cport"))):
    if port is None:
        continue
    find(f"{fam} connect to {port} from {cport}", lambda e: e["kind"] == "connect" and e["pid"] == pid
         and e["family"] == fam and e["daddr"] == lo and e["dport"] == port and e["sport"] == cport
         and e["result"] == 0)
    find(f"{fam} accept on {port} from {cport}", lambda e: e["kind"] == "accept" and e["pid"] == pid
         and e["family"] == fam and e["saddr"] == lo and e["sport"] == port and e["dport"] == cport
         and e["fd"] >= 0)
    find(f"{fam} close of the client socket", lambda e: e["kind"] == "close" and e["pid"] == pid
         and e["family"] == fam and e["sport"] == cport and e["dport"] == port)
    find(f"{fam} close of the accepted socket", lambda e: e["kind"] == "close" and e["pid"] == pid
         and e["family"] == fam and e["sport"] == port and e["dport"] == cport)
find("refused connect with result -111", lambda e: e["kind"] == "connect" and e["pid"] == pid
     and e["dport"] == w["refused_port"] and e["result"] == -111)
find("open of a missing file -> -ENOENT", lambda e: e["kind"] == "open" and e["pid"] == pid
     and e["path"] == w["missing"] and e["result"] == -2)
find("open of a present file -> fd", lambda e: e["kind"] == "open" and e["pid"] == pid
     and e["path"] == w["present"] and e["result"] >= 0)
agent = int(sys.argv[3]) if len(sys.argv) > 3 else -1
own = [e for e in events if e.get("pid") == agent or e.get("ppid") == agent]
if own:
    fails.append(f"the agent reported {len(own)} events of its own, e.g. {own[0]}")
if fails:
    print("missing: " + "; ".join(fails))
    sys.exit(1)
