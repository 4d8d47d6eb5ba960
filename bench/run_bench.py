#!/usr/bin/python3
"""run_bench.py - soma against the independent PyTorch reference, on this machine, in one run.

For every workload (bench/<workload>.yaml, named as in torch_reference.py) and thread count:
  1. `soma bench bench/<workload>.yaml --json --threads N --calibrate K` (K untimed training
     steps, default 30, so that inference runs with trained batch-norm statistics and realistic
     spike activity; then infer, then train, one process; the reference's dense kernels do the
     same work whatever the activity, so it needs no calibration),
  2. right after it, the reference for the same workload:
     /usr/bin/python3 <shared>/bench/torch_reference.py run --threads 1,2 --workloads <wl> --append
     (all its implementations present: plain, plain-fused, and SpikingJelly / snnTorch when their
     source trees are given), so both sides see the same machine state;
then prints one table: workload, mode, threads, soma samples/s, the best reference
implementation's samples/s, ratio soma/reference, soma's achieved dense GFLOP/s (the reference's
FLOP count: 2*MACs of conv/linear over T, training 3x forward, 2x for the first layer), that as
a percentage of the measured fp32 GEMM ceiling (best of Eigen -march=native and OpenBLAS
SkylakeX through torch, square sizes; from <shared>/bench/ceiling, compiled and run here unless
--ceiling FILE gives a ceiling_raw.jsonl), and peak RSS (MiB, whole process after the mode) of
soma and of that reference implementation.

Everything lands in --out (default build/bench_results/<date>): soma.jsonl, reference.json,
ceiling.jsonl, combined.json, table.md, log.txt.

The reference needs Debian packages (python3-torch python3-numpy python3-h5py
libopenblas0-openmp libtcmalloc-minimal4); as root this script installs missing ones with apt-get
and points libblas.so.3 back to the reference BLAS (the reference selects OpenBLAS for its own
workers). This is for benchmarking only, not for CI.

Usage (from the repository root, after building build/bin/soma in Release):
  /usr/bin/python3 bench/run_bench.py                       # everything, 1 and 2 threads
  /usr/bin/python3 bench/run_bench.py --skip-full           # without gesture-csnn (full size)
  /usr/bin/python3 bench/run_bench.py --workloads nmnist-mlp --threads 2
  /usr/bin/python3 bench/run_bench.py --reference-results R.json --ceiling C.jsonl  # soma only
  /usr/bin/python3 bench/run_bench.py --table build/bench_results/<date>/combined.json
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = ["nmnist-mlp", "gesture-csnn-light", "cifar10dvs-vgg", "mnist-liaf", "gesture-csnn"]
PACKAGES = ["python3-torch", "python3-numpy", "python3-h5py", "libopenblas0-openmp",
            "libtcmalloc-minimal4"]
BLAS_ALT = ("update-alternatives", "--set", "libblas.so.3-x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3")
PY = "/usr/bin/python3"
OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"

LOG = None


def log(*a):
    msg = " ".join(str(x) for x in a)
    print(msg, flush=True)
    if LOG:
        LOG.write(msg + "\n")
        LOG.flush()


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def ensure_packages(install):
    missing = [p for p in PACKAGES
               if "install ok installed" not in sh(["dpkg-query", "-W", "-f=${Status}", p]).stdout]
    if not missing:
        return
    if not install or os.geteuid() != 0:
        sys.exit(f"missing Debian packages for the reference: {' '.join(missing)}\n"
                 f"install them as root: apt-get install -y {' '.join(PACKAGES)} && {' '.join(BLAS_ALT)}")
    log("installing", " ".join(missing), "(apt-get)")
    subprocess.run(["apt-get", "install", "-y"] + missing, check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    subprocess.run(list(BLAS_ALT), check=False)


def machine():
    info = {}
    out = sh(["lscpu"]).stdout
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket",
                         "CPU family", "Model", "L2 cache", "L3 cache"):
            info[k.strip()] = v.strip()
    info["avx512f"] = " avx512f " in out
    with open("/proc/meminfo") as f:
        info["mem_total_gib"] = round(int(f.readline().split()[1]) / 2 ** 20, 1)
    info["kernel"] = os.uname().release
    return info


def git_state():
    sha = sh(["git", "-C", REPO, "rev-parse", "HEAD"]).stdout.strip()
    dirty = bool(sh(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"]).stdout.strip())
    return dict(commit=sha, dirty=dirty,
                branch=sh(["git", "-C", REPO, "rev-parse", "--abbrev-ref", "HEAD"]).stdout.strip())


def default_shared():
    """../shared relative to the repository root; from a git worktree nested deeper (e.g.
    /work/wt/<name>), the nearest ancestor's shared/ holding bench/torch_reference.py."""
    first = os.path.normpath(os.path.join(REPO, "..", "shared"))
    d = REPO
    while True:
        cand = os.path.join(os.path.dirname(d), "shared")
        if os.path.isfile(os.path.join(cand, "bench", "torch_reference.py")):
            return cand
        if os.path.dirname(d) == d:
            return first
        d = os.path.dirname(d)


def limit_memory(gib):
    def f():
        if gib > 0:
            lim = int(gib * 2 ** 30)
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    return f


# ------------------------------------------------------------------------------------ ceiling
def run_ceiling(shared, out_dir, threads):
    """Eigen (-march=native) and OpenBLAS-through-torch GEMM probes of <shared>/bench/ceiling,
    quick variants (square 1024/2048 and the SNN shapes). Returns the JSON lines."""
    cdir = os.path.join(shared, "bench", "ceiling")
    exe = os.path.join(out_dir, "eigen_ceiling_native")
    rows = []
    r = sh(["g++", "-O3", "-march=native", "-fopenmp", "-DNDEBUG", "-I/usr/include/eigen3",
            os.path.join(cdir, "eigen_ceiling.cpp"), "-o", exe])
    if r.returncode != 0:
        log("ceiling: cannot compile eigen_ceiling.cpp:", r.stderr[-300:])
        exe = None
    for n in threads:
        if exe:
            env = dict(os.environ, OMP_NUM_THREADS=str(n))
            r = sh([exe, "quick"], env=env)
            for line in r.stdout.splitlines():
                if line.startswith("{"):
                    d = json.loads(line)
                    d["build"] = "eigen g++ -O3 -march=native"
                    rows.append(d)
        env = dict(os.environ, OMP_NUM_THREADS=str(n), LD_PRELOAD=TCMALLOC, TCMALLOC_RELEASE_RATE="0",
                   LD_LIBRARY_PATH=OPENBLAS_DIR, OPENBLAS_CORETYPE="SkylakeX")
        r = sh([PY, os.path.join(cdir, "torch_ceiling.py"), "quick"], env=env)
        for line in r.stdout.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                d["build"] = "torch openblas SkylakeX"
                rows.append(d)
        if r.returncode != 0:
            log("ceiling: torch_ceiling.py failed:", r.stderr[-300:])
    return rows


def gemm_ceiling(rows):
    """threads -> dict(best=GFLOP/s, eigen=..., openblas=...) over square fp32 GEMMs."""
    out = {}
    for d in rows:
        if d.get("kind") != "gemm" or d.get("tag") != "square":
            continue
        t = int(d["threads"])
        who = "eigen" if "eigen" in d.get("build", "") else "openblas"
        c = out.setdefault(t, {})
        c[who] = max(c.get(who, 0.0), float(d["gflops"]))
        c["best"] = max(c.get("best", 0.0), float(d["gflops"]))
    return out


# ------------------------------------------------------------------------------------ runs
def run_soma(a, wl, n):
    cfg = os.path.join(REPO, "bench", wl + ".yaml")
    cmd = [a.soma, "--log-level", "warn", "bench", cfg, "--json", "--threads", str(n),
           "--warmup", str(a.warmup), "--repeats", str(a.repeats), "--max-seconds", str(a.max_seconds),
           "--calibrate", str(a.calibrate)]
    env = dict(os.environ, OMP_NUM_THREADS=str(n))
    load0 = open("/proc/loadavg").read().strip()
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO,
                           timeout=a.timeout_s, preexec_fn=limit_memory(a.mem_limit_gib))
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        if p.returncode == 0 and lines:
            r = json.loads(lines[-1])
            r["status"] = "ok"
        else:
            err = (p.stderr or "")[-400:]
            oom = "bad_alloc" in err or "memory" in err.lower() or p.returncode in (-9, 137)
            r = dict(workload=wl, threads=n, status="oom" if oom else "error", error=err,
                     returncode=p.returncode)
    except subprocess.TimeoutExpired:
        r = dict(workload=wl, threads=n, status="timeout")
    r["wall_s"] = round(time.time() - t0, 1)
    r["cmd"] = " ".join(cmd)
    r["loadavg_before"] = load0
    r["loadavg_after"] = open("/proc/loadavg").read().strip()
    return r


def run_reference(a, wl, ref_out):
    script = os.path.join(a.shared, "bench", "torch_reference.py")
    cmd = [PY, script, "run", "--threads", a.threads, "--workloads", wl, "--out", ref_out, "--append",
           "--mem-limit-gib", str(a.mem_limit_gib)] + (a.ref_args.split() if a.ref_args else [])
    log("  reference:", " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.startswith(wl):
            log("   ", line)
    if p.returncode != 0:
        log("  reference failed:", p.stderr[-400:])


# ------------------------------------------------------------------------------------ table
def best_reference(ref, wl, mode, n):
    best = None
    for r in ref.get("runs", []):
        # A mode that finished counts even when a later mode failed (e.g. infer ok, train oom).
        if r["workload"] != wl or r["threads"] != n or mode not in r:
            continue
        if best is None or r[mode]["samples_per_s"] > best[mode]["samples_per_s"]:
            best = r
    return best


def ref_status(ref, wl, n):
    st = sorted({f"{r['impl']}:{r.get('status')}" for r in ref.get("runs", [])
                 if r["workload"] == wl and r["threads"] == n and r.get("status") != "ok"})
    return ", ".join(st)


def build_rows(soma, ref, ceiling, workloads, threads):
    rows = []
    for wl in workloads:
        for mode in ("train", "infer"):
            for n in threads:
                s = next((r for r in soma if r.get("workload") == wl and r.get("threads") == n), None)
                b = best_reference(ref, wl, mode, n)
                row = dict(workload=wl, mode=mode, threads=n)
                if s and s.get("status") == "ok" and s.get(mode):
                    row["soma_sps"] = s[mode]["samples_per_s"]
                    row["soma_gflops"] = s[mode]["gflop_per_s"]
                    row["soma_rss_mib"] = s[mode]["peak_rss_mb_so_far"]
                    row["soma_cpu"] = s[mode].get("cpu_per_wall")
                    c = ceiling.get(n, {}).get("best")
                    if c:
                        row["pct_ceiling"] = 100.0 * row["soma_gflops"] / c
                else:
                    row["soma_status"] = s.get("status", "missing") if s else "missing"
                if b:
                    row["ref_impl"] = b["impl"]
                    row["ref_sps"] = b[mode]["samples_per_s"]
                    row["ref_rss_mib"] = b[mode].get("peak_rss_mib_so_far")
                    row["ref_cpu"] = b[mode].get("user_per_wall", 0) + b[mode].get("sys_per_wall", 0)
                    if "soma_sps" in row:
                        row["ratio"] = row["soma_sps"] / row["ref_sps"]
                else:
                    row["ref_status"] = ref_status(ref, wl, n) or "missing"
                rows.append(row)
    return rows


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def sps(v):
    """samples/s: 3 significant digits below 100, one decimal above."""
    return "-" if v is None else (f"{v:.3g}" if v < 100 else f"{v:.1f}")


def table(rows):
    hdr = ("| workload | mode | thr | soma samples/s | best reference samples/s (impl) | soma / ref "
           "| soma GFLOP/s | % GEMM ceiling | peak RSS MiB soma / ref | cpu/wall soma / ref |")
    out = [hdr, "|" + "---|" * 10]
    for r in rows:
        soma = sps(r.get("soma_sps")) if "soma_sps" in r else r.get("soma_status")
        ref = (f"{sps(r['ref_sps'])} ({r['ref_impl']})" if "ref_sps" in r else r.get("ref_status"))
        ratio = fmt(r.get("ratio"), ".3f")
        rss = f"{fmt(r.get('soma_rss_mib'), '.0f')} / {fmt(r.get('ref_rss_mib'), '.0f')}"
        cpu = f"{fmt(r.get('soma_cpu'), '.2f')} / {fmt(r.get('ref_cpu'), '.2f')}"
        out.append(f"| {r['workload']} | {r['mode']} | {r['threads']} | {soma} | {ref} | {ratio} | "
                   f"{fmt(r.get('soma_gflops'), '.2f')} | {fmt(r.get('pct_ceiling'), '.1f')} | {rss} | {cpu} |")
    return "\n".join(out)


def print_table(combined):
    rows = combined["rows"]
    c = combined.get("gemm_ceiling_gflops", {})
    log(f"{combined.get('started')} .. {combined.get('finished')}  commit {combined.get('git', {}).get('commit')}"
        f"  {combined.get('machine', {}).get('Model name')}")
    log(table(rows))
    log("GEMM ceiling (fp32, best square GEMM GFLOP/s): " + ", ".join(
        f"{t} thr: best {v.get('best', 0):.0f} (Eigen {v.get('eigen', 0):.0f}, OpenBLAS {v.get('openblas', 0):.0f})"
        for t, v in sorted(c.items(), key=lambda kv: int(kv[0]))))


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=default_shared(),
                    help="the shared directory holding bench/torch_reference.py (default ../shared "
                         "relative to the repository root, else the nearest ancestor's shared/)")
    ap.add_argument("--soma", default=os.path.join(REPO, "build", "bin", "soma"))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--skip-full", action="store_true", help="leave out gesture-csnn (full size)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--out", default=None)
    ap.add_argument("--warmup", type=int, default=1, help="soma warm-up steps per mode")
    ap.add_argument("--repeats", type=int, default=30, help="soma timed steps per mode (at most)")
    ap.add_argument("--max-seconds", type=float, default=8.0,
                    help="soma: stop a mode after this many timed seconds (>= 3 steps); the "
                         "reference's default budget is 8 s with >= 5 steps (3 when a step > 5 s)")
    ap.add_argument("--calibrate", type=int, default=30,
                    help="soma: untimed training steps before timing (0: time the untrained network, "
                         "whose eval-mode activity is unrealistically low)")
    ap.add_argument("--mem-limit-gib", type=float, default=16.0, help="address-space cap per process")
    ap.add_argument("--timeout-s", type=float, default=3600)
    ap.add_argument("--ref-args", default="", help="extra arguments for torch_reference.py run")
    ap.add_argument("--reference-results", default=None, help="use this results.json, run no reference")
    ap.add_argument("--ceiling", default=None, help="use this ceiling_raw.jsonl, run no probe")
    ap.add_argument("--no-install", action="store_true", help="never apt-get install")
    ap.add_argument("--table", default=None, help="only reprint the table of a combined.json")
    a = ap.parse_args()
    if a.table:  # recompute the rows from the stored soma results and reference file
        with open(a.table) as f:
            combined = json.load(f)
        ref_file = combined.get("reference_file")
        if ref_file and not os.path.isabs(ref_file):
            ref_file = os.path.join(REPO, ref_file)
        if ref_file and os.path.exists(ref_file):
            with open(ref_file) as f:
                ref = json.load(f)
            ceiling = {int(k): v for k, v in combined["gemm_ceiling_gflops"].items()}
            wls = list(dict.fromkeys(r["workload"] for r in combined["rows"]))
            ths = sorted({r["threads"] for r in combined["rows"]})
            combined["rows"] = build_rows(combined["soma"], ref, ceiling, wls, ths)
        print_table(combined)
        return
    workloads = [w for w in a.workloads.split(",") if not (a.skip_full and w == "gesture-csnn")]
    threads = [int(t) for t in a.threads.split(",")]
    a.out = a.out or os.path.join(REPO, "build", "bench_results", time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(a.out, exist_ok=True)
    LOG = open(os.path.join(a.out, "log.txt"), "a")
    if not os.path.exists(a.soma):
        sys.exit(f"{a.soma} not found: build soma first (cmake --build build --target soma_cli)")
    if not a.reference_results and not os.path.isfile(os.path.join(a.shared, "bench", "torch_reference.py")):
        sys.exit(f"{a.shared}/bench/torch_reference.py not found: pass --shared DIR")
    if not a.reference_results or not a.ceiling:
        ensure_packages(not a.no_install)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    log(f"run_bench: {started}, out {a.out}, workloads {workloads}, threads {threads}")
    combined = dict(started=started, machine=machine(), git=git_state(), settings=vars(a))

    if a.ceiling:
        with open(a.ceiling) as f:
            ceil_rows = [json.loads(l) for l in f if l.strip()]
        for d in ceil_rows:  # the shared run_ceiling.sh labels its builds differently
            d.setdefault("build", d.get("blas", "torch openblas"))
    else:
        log("ceiling probe (Eigen + OpenBLAS GEMM, quick) ...")
        ceil_rows = run_ceiling(a.shared, a.out, threads)
        with open(os.path.join(a.out, "ceiling.jsonl"), "w") as f:
            for d in ceil_rows:
                f.write(json.dumps(d) + "\n")
    ceiling = gemm_ceiling(ceil_rows)
    log("GEMM ceiling:", json.dumps(ceiling))

    ref_out = a.reference_results or os.path.join(a.out, "reference.json")
    soma = []
    for wl in workloads:
        for n in threads:
            r = run_soma(a, wl, n)
            soma.append(r)
            with open(os.path.join(a.out, "soma.jsonl"), "a") as f:
                f.write(json.dumps(r) + "\n")
            if r["status"] == "ok":
                log(f"{wl:<20} soma  thr={n}  train {fmt(r.get('train_samples_per_s'), '.1f')}  infer "
                    f"{fmt(r.get('infer_samples_per_s'), '.1f')} samples/s  peak RSS {r['peak_rss_mb']:.0f} MiB  "
                    f"({r['wall_s']} s)")
            else:
                log(f"{wl:<20} soma  thr={n}  {r['status']}: {r.get('error', '')[-200:]}")
        if not a.reference_results:
            run_reference(a, wl, ref_out)

    ref = {}
    if os.path.exists(ref_out):
        with open(ref_out) as f:
            ref = json.load(f)
    combined.update(finished=time.strftime("%Y-%m-%d %H:%M:%S %Z"), soma=soma,
                    reference_file=ref_out, reference_machine=ref.get("machine"),
                    gemm_ceiling_gflops=ceiling, ceiling_rows=ceil_rows,
                    rows=build_rows(soma, ref, ceiling, workloads, threads))
    with open(os.path.join(a.out, "combined.json"), "w") as f:
        json.dump(combined, f, indent=1)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table(combined["rows"]) + "\n")
    log()
    print_table(combined)
    log(f"\nwrote {a.out}/combined.json and table.md")


if __name__ == "__main__":
    main()
