#!/usr/bin/env python3
"""Interleaved A/B of agent builds on one workload (bench/workload.c), for the
investigations in bench/findings.md; `make bench` is the reference benchmark.

usage: bench/ab.py N EVENTS OUTPUT BINARY...
  env: R=rounds (default 5), WL=open|exec|connect (default open), WORKLOAD=path
       (default build/bench/workload), EXTRA="more run flags"
Prints per binary (and with no tracer): max ops/s, min and median workload CPU
per operation, and the drops each run reported."""
import subprocess, sys, time, resource, os, re, statistics
N=int(sys.argv[1]); ev=sys.argv[2]; out=sys.argv[3]; bins=sys.argv[4:]; rounds=int(os.environ.get("R","5"))
wlmode=os.environ.get("WL","open")
def wl():
    r0=resource.getrusage(resource.RUSAGE_CHILDREN); t0=time.time()
    subprocess.run([os.environ.get("WORKLOAD", "build/bench/workload"),wlmode,str(N)],stdout=subprocess.DEVNULL,check=True)
    t1=time.time(); r1=resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu=(r1.ru_utime-r0.ru_utime)+(r1.ru_stime-r0.ru_stime)
    return N/(t1-t0), cpu/N*1e6
res={b:[] for b in ["none"]+bins}
for r in range(rounds):
    for b in ["none"]+bins:
        if b=="none":
            res[b].append(wl()); continue
        st="/tmp/pk-ab.status"
        try: os.unlink(st)
        except FileNotFoundError: pass
        err=open("/tmp/pk-ab.err","w")
        p=subprocess.Popen([b,"run","--events",ev,"--output",out,"--status",st]+os.environ.get("EXTRA","").split(),stderr=err)
        for i in range(200):
            try:
                if '"running"' in open(st).read(): break
            except FileNotFoundError: pass
            time.sleep(0.05)
        ops,cpu=wl()
        p.terminate(); p.wait()
        m=re.search(r'(open|exec|connect) \d+ \(drops (\d+)\)',open("/tmp/pk-ab.err").read())
        res[b].append((ops,cpu,m.group(2) if m else "?"))
for b,v in res.items():
    ops=statistics.median(x[0] for x in v); cpu=statistics.median(x[1] for x in v)
    mx=max(x[0] for x in v); mn=min(x[1] for x in v)
    print(f"{b:40s} ops/s max {mx:9.0f} cpu/op min {mn:6.2f} | ops/s med {ops:9.0f}  cpu/op med {cpu:6.2f} us  all cpu: {' '.join('%.2f'%x[1] for x in v)} drops: {' '.join(str(x[2]) for x in v if len(x)>2)}")
