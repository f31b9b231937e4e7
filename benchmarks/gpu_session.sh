#!/usr/bin/env bash
# benchmarks/gpu_session.sh -- every speed benchmark of bioplastic on one GPU, in one short session.
#
# What it runs, in this order (each part in its own process under its own `timeout`, so a
# hang costs that part only; a part that would start past the session's budget is skipped):
#
#   env          nvidia-smi, nvcc, CPU, memory; Python, jax/jaxlib/CUDA plugin and BrainPy
#                versions, jax.devices() and the device's memory statistics
#   probe        BrainPy's COBA (4000 neurons, 100 ms) and one projection through brainevent's
#                CSR kernel: does the BrainPy side run here at all? Its wall time holds the
#                one-time nvcc builds of brainevent's CUDA kernels (cached on disk for the
#                parts after it). If it fails, the COBA parts run with --no-brainpy
#                --no-propagation and routes is skipped.
#   coba         benchmarks/coba.py --device gpu --no-brian2 --no-protocol --sizes 4000,16000
#                (1 s simulated, best of 3): bioplastic vs BrainPy, and the propagation routes
#   coba_64k     coba.py --sizes 64000 --no-protocol --no-propagation (best of 2)
#   coba_256k    coba.py --sizes 256000 --no-protocol --no-propagation (best of 2)
#   dual_propagation, counter_current, hlop, theta   those scripts at their default sizes
#   routes       benchmarks/routes.py over 1k..256k neurons x 5/20/80 Hz: the GPU's table of
#                the two event-driven propagation routes (bioplastic's own table is a CPU one,
#                so on a GPU choose_route takes the pure-JAX route until one is measured)
#   coba_protocol  coba.py --sizes 4000 --no-brainpy --no-propagation: the protocol path
#                (`bioplastic run protocols/coba.toml` at 0.5 and 2.5 s, best of 3)
#   sweep        benchmarks/sweep.py --seeds 0-7 --jobs 4 (quickstart, 1 s per point)
#
# The protocol path and the sweep come last and on their own: they record spikes with
# "events" probes, whose compilation jax 0.11.2's XLA (CPU, seen here) takes minutes over
# (bioplastic.simulation.loop._events_of: the unrolled searchsorted fused into the ops after
# it; an optimization_barrier on its result brings it back to under a second).
#
# Brian2 is not run (coba.py --no-brian2): it needs its own virtual environment and a
# network. XLA_PYTHON_CLIENT_PREALLOCATE=false for every part: the processes of the sweep
# share the card, and the monitor's memory.used then shows what each part really holds.
#
# Where results go: $OUT (default /tmp/gpu_out), written as the parts finish:
#   env.txt          nvidia-smi, nvcc, lscpu, free, pip's install log, the carried packages
#   env.json         versions, jax.devices(), memory statistics
#   results.jsonl    one line per part: {"part", "cmd", "rc", "timed_out", "wall_s", "timeout_s",
#                    "start_unix", "result": the script's --json object (or "stdout_tail")}
#   log.txt          each part's stderr (the last 200 kB of it), under a header line
#   gpu_monitor.csv  nvidia-smi every second: utilisation, memory used, power, SM clock
#   summary.txt      the key figures of every part as a short table (also printed last)
#
# How to run it on a GPU machine (python3 with jax[cuda]; no network needed): the packages
# missing there (BrainPy and its family, pydantic, tomli-w; see the list below) lie as wheels
# in .whl/ at the repository's root (ignored through .git/info/exclude); the script installs
# them with `pip --no-index --target $SITE` and puts $SITE and the repository on PYTHONPATH.
#
#   bash benchmarks/gpu_session.sh                 # the GPU sizes, about 7 minutes on an H200
#   bash benchmarks/gpu_session.sh --smoke         # every part at toy sizes (CPU: a few minutes)
#
# Fetching the wheels (here, once; Python 3.12, x86-64):
#   python3.12 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#     --platform manylinux2014_x86_64 -d .whl annotated-types==0.8.0 array-api-compat==1.16.0 \
#     brainevent==0.3.0 brainpy==2.9.0 brainstate==0.6.0 braintools==0.4.0 brainunit==0.6.0 \
#     pydantic==2.14.4 pydantic_core==2.50.5 saiunit==0.6.0 tomli_w==1.2.0 \
#     typing-inspection==0.4.5 typing_extensions==4.16.0
#   (BrainPy 2.9.0 is what pip resolves on Python 3.12 with jax 0.11.2; it ran COBA on CPU with
#   jax 0.11.2 here; on the GPU its brainevent kernels are built by nvcc at first use.)
#
# Environment variables:
#   OUT        results folder (default /tmp/gpu_out)
#   PYTHON     the interpreter (default python3)
#   SITE       where the wheels are installed (default /tmp/site)
#   BUDGET_S   seconds for all parts together; a part gets at most what is left
#              (default 400; 900 with --smoke)
#   SMOKE=1    the same as --smoke
#   WHEELS     the folder of wheels to install (default .whl; empty: install nothing, use
#              the interpreter's own packages, e.g. the project's .venv)
#   DEVICE     the platform coba.py runs on (default gpu; cpu with --smoke or JAX_PLATFORMS=cpu)

set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

SMOKE="${SMOKE:-0}"
[ "${1:-}" = "--smoke" ] && SMOKE=1
OUT="${OUT:-/tmp/gpu_out}"
PYTHON="${PYTHON:-python3}"
SITE="${SITE:-/tmp/site}"
if [ "$SMOKE" = 1 ]; then BUDGET_S="${BUDGET_S:-900}"; else BUDGET_S="${BUDGET_S:-400}"; fi
if [ "$SMOKE" = 1 ] || [ "${JAX_PLATFORMS:-}" = cpu ]; then DEVICE="${DEVICE:-cpu}"; else DEVICE="${DEVICE:-gpu}"; fi
MIN_PART_S=30
START=$(date +%s)
DEADLINE=$((START + BUDGET_S))
SCRATCH="$(mktemp -d /tmp/gpu_session.XXXXXX)"

export PYTHONUNBUFFERED=1
export XLA_PYTHON_CLIENT_PREALLOCATE=false
export BRAINEVENT_CACHE_DIR="${BRAINEVENT_CACHE_DIR:-$SCRATCH/brainevent_cache}"
export MPLBACKEND=Agg
mkdir -p "$OUT"
: >"$OUT/results.jsonl"
: >"$OUT/log.txt"
echo "gpu_session: smoke=$SMOKE device=$DEVICE budget=${BUDGET_S}s out=$OUT python=$PYTHON"

# ---- the packages the GPU image lacks, from .whl/, and the project from the source tree ----
{
    echo "== carried wheels"
    ls -1 "${WHEELS-.whl}"/*.whl 2>/dev/null || echo "(no wheels)"
} >"$OUT/env.txt"
WHEELS="${WHEELS-.whl}"
if [ -n "$WHEELS" ] && ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    if "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
            "$WHEELS"/*.whl >>"$OUT/env.txt" 2>&1; then
        echo "== installed into $SITE" >>"$OUT/env.txt"
    else
        echo "gpu_session: installing the wheels failed (see env.txt); going on with what is there"
    fi
    export PYTHONPATH="$SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
else
    export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi

# ---- the machine ----
{
    echo "== date"; date -u +%FT%TZ
    echo "== uname"; uname -a
    echo "== git"; git rev-parse HEAD 2>/dev/null || echo "(no git here)"
    echo "== nvidia-smi"; nvidia-smi 2>&1 || true
    echo "== nvidia-smi query"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit,compute_cap \
        --format=csv 2>&1 || true
    echo "== nvcc"; nvcc --version 2>&1 || echo "(no nvcc on PATH)"
    echo "== g++"; g++ --version 2>&1 | head -1 || true
    echo "== lscpu"; lscpu 2>/dev/null | grep -E "^(Model name|CPU\(s\)|Thread|Socket)" || nproc
    echo "== free"; free -g 2>/dev/null || true
} >>"$OUT/env.txt" 2>&1

MONITOR_PID=""
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,utilization.memory,memory.used,power.draw,clocks.sm \
        --format=csv -l 1 >"$OUT/gpu_monitor.csv" 2>/dev/null &
    MONITOR_PID=$!
fi

# ---- one part: run it under its own timeout, add its line to results.jsonl ----
# part NAME TIMEOUT_S CMD...
part() {
    local name=$1 limit=$2
    shift 2
    local now left t0 t1 rc
    now=$(date +%s)
    left=$((DEADLINE - now))
    if [ "$left" -lt "$MIN_PART_S" ]; then
        echo "gpu_session: $name skipped (${left}s of the budget left)"
        PART="$name" CMD="$*" RC="" T0="$now" T1="$now" LIMIT=0 REASON="budget spent (${left}s left)" \
            "$PYTHON" "$SCRATCH/record.py" /dev/null >>"$OUT/results.jsonl"
        return 1
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    echo "gpu_session: $name (at most ${limit}s) ..."
    t0=$(date +%s.%N)
    timeout -k 10 "$limit" "$@" >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err"
    rc=$?
    t1=$(date +%s.%N)
    {
        echo "======== $name rc=$rc: $*"
        tail -c 200000 "$SCRATCH/$name.err"
    } >>"$OUT/log.txt"
    PART="$name" CMD="$*" RC="$rc" T0="$t0" T1="$t1" LIMIT="$limit" REASON="" \
        "$PYTHON" "$SCRATCH/record.py" "$SCRATCH/$name.out" >>"$OUT/results.jsonl"
    echo "gpu_session: $name rc=$rc in $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}")s"
    [ "$rc" = 0 ]
}

cat >"$SCRATCH/record.py" <<'EOF'
import json, os, sys
text = open(sys.argv[1]).read() if sys.argv[1] != "/dev/null" else ""
line = {"part": os.environ["PART"], "cmd": os.environ["CMD"],
        "rc": int(os.environ["RC"]) if os.environ["RC"] else None,
        "timed_out": os.environ["RC"] in ("124", "137"),
        "wall_s": round(float(os.environ["T1"]) - float(os.environ["T0"]), 3),
        "timeout_s": int(os.environ["LIMIT"]), "start_unix": float(os.environ["T0"])}
if os.environ["REASON"]:
    line["skipped"] = os.environ["REASON"]
result = None
try:
    result = json.loads(text)
except ValueError:                                  # some output before the JSON: take the last object
    start = text.rfind("\n{")
    try:
        result = json.loads(text[start + 1:]) if start >= 0 else None
    except ValueError:
        result = None
if result is not None:
    line["result"] = result
elif text:
    line["stdout_tail"] = text[-4000:]
print(json.dumps(line))
EOF

# ---- the parts ----
PY=("$PYTHON")

cat >"$SCRATCH/env.py" <<'EOF'
import importlib.metadata as md, json, platform, sys
import jax
info = {"python": sys.version, "platform": platform.platform(), "jax_backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "device_kinds": [getattr(d, "device_kind", "") for d in jax.devices()], "versions": {}}
for name in ("jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda13-pjrt", "jax-cuda12-plugin", "numpy", "scipy", "optax",
             "matplotlib", "pydantic", "tomli_w", "tqdm", "numba", "brainpy", "brainstate", "brainevent", "braintools",
             "brainunit", "saiunit"):
    try:
        info["versions"][name] = md.version(name)
    except md.PackageNotFoundError:
        info["versions"][name] = None
try:
    info["memory_stats"] = jax.devices()[0].memory_stats()
except Exception as error:                           # CPU devices have none
    info["memory_stats"] = repr(error)
import bioplastic
info["bioplastic"] = bioplastic.__file__
print(json.dumps(info))
EOF
part env 90 "${PY[@]}" "$SCRATCH/env.py" && cp "$SCRATCH/env.out" "$OUT/env.json"

cat >"$SCRATCH/probe.py" <<'EOF'
import json, sys, time
import jax
figures = {}
start = time.perf_counter()
import brainevent, brainpy
figures["import_s"] = time.perf_counter() - start
from brainpy_coba import run_brainpy_coba
start = time.perf_counter()
figures["brainpy_coba_4000_100ms"] = run_brainpy_coba(4000, 100.0, 0.1, 0, 1)
figures["brainpy_coba_wall_s"] = time.perf_counter() - start
from routes import measure
start = time.perf_counter()
figures["routes_4000_20hz"] = measure(4000, 20.0, 100, 1, 0)
figures["routes_wall_s"] = time.perf_counter() - start
try:
    from brainevent._csr.binary import binary_csrmv_p
    figures["binary_csrmv_backends"] = {p: list(binary_csrmv_p.available_backends(p)) for p in ("cpu", "gpu")}
except Exception as error:
    figures["binary_csrmv_backends"] = repr(error)
figures["backend"] = jax.default_backend()
print(json.dumps(figures))
EOF
NO_BRAINPY=()
if ! part probe 150 env PYTHONPATH="$ROOT/benchmarks:$PYTHONPATH" "$PYTHON" "$SCRATCH/probe.py"; then
    echo "gpu_session: the BrainPy side does not run here: COBA without it, routes skipped"
    NO_BRAINPY=(--no-brainpy --no-propagation)
fi

COBA=("${PY[@]}" benchmarks/coba.py --device "$DEVICE" --no-brian2 --json)
if [ "$SMOKE" = 1 ]; then
    part coba 240 "${COBA[@]}" "${NO_BRAINPY[@]}" --no-protocol --sizes 1000,2000 --duration-ms 50 --repeats 1
    part coba_64k 120 "${COBA[@]}" "${NO_BRAINPY[@]}" --sizes 3000 --duration-ms 50 --repeats 1 --no-protocol \
        --no-propagation
    part coba_256k 120 "${COBA[@]}" "${NO_BRAINPY[@]}" --sizes 4000 --duration-ms 50 --repeats 1 --no-protocol \
        --no-propagation
    part dual_propagation 120 "${PY[@]}" benchmarks/dual_propagation.py --json --sizes 784,64,64,10 --batch 16 \
        --ep-free-steps 20 --ep-nudged-steps 4 --steps 2 --ep-steps 1 --repeats 1
    part counter_current 120 "${PY[@]}" benchmarks/counter_current.py --json --sizes 784,64,64,10 --batch 32 \
        --steps 2 --repeats 1
    part hlop 180 "${PY[@]}" benchmarks/hlop.py --json --steps 1 --repeats 1
    part theta 180 "${PY[@]}" benchmarks/theta.py --json --steps 2400
    [ ${#NO_BRAINPY[@]} = 0 ] && part routes 120 "${PY[@]}" benchmarks/routes.py --json --sizes 1000,4000 \
        --rates-hz 20 --steps 50 --repeats 1
    part coba_protocol 180 "${COBA[@]}" --no-brainpy --no-propagation --sizes 1000 --duration-ms 50 --repeats 1 \
        --protocol-ms 50,100
    part sweep 180 "${PY[@]}" benchmarks/sweep.py --json --seeds 0-1 --duration-ms 50 --jobs 2
else
    part coba 150 "${COBA[@]}" "${NO_BRAINPY[@]}" --no-protocol --sizes 4000,16000 --repeats 3
    part coba_64k 90 "${COBA[@]}" "${NO_BRAINPY[@]}" --sizes 64000 --repeats 2 --no-protocol --no-propagation
    part coba_256k 120 "${COBA[@]}" "${NO_BRAINPY[@]}" --sizes 256000 --repeats 2 --no-protocol --no-propagation
    part dual_propagation 90 "${PY[@]}" benchmarks/dual_propagation.py --json
    part counter_current 60 "${PY[@]}" benchmarks/counter_current.py --json
    part hlop 90 "${PY[@]}" benchmarks/hlop.py --json
    part theta 120 "${PY[@]}" benchmarks/theta.py --json
    [ ${#NO_BRAINPY[@]} = 0 ] && part routes 120 "${PY[@]}" benchmarks/routes.py --json \
        --sizes 1000,4000,16000,64000,256000 --rates-hz 5,20,80 --steps 200 --repeats 3
    part coba_protocol 120 "${COBA[@]}" --no-brainpy --no-propagation --sizes 4000 --repeats 3
    part sweep 120 "${PY[@]}" benchmarks/sweep.py --json --seeds 0-7 --jobs 4
fi

[ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null

# ---- the short table ----
cat >"$SCRATCH/summary.py" <<'EOF'
import json, sys

def f(x, digits=3):
    return "-" if x is None else (f"{x:.{digits}g}" if isinstance(x, float) else str(x))

lines = []
for raw in open(sys.argv[1]):
    p = json.loads(raw)
    head = f"{p['part']:<17} rc={f(p['rc'])} {p['wall_s']:6.1f}s"
    if "skipped" in p:
        lines.append(f"{head}  skipped: {p['skipped']}")
        continue
    r = p.get("result")
    if not isinstance(r, dict):
        lines.append(f"{head}  no JSON{' (timed out)' if p['timed_out'] else ''}")
        continue
    name = p["part"]
    if name.startswith("coba"):
        for row in r["scaling"]:
            b, t = row["bioplastic"], row["brainpy"]
            lines.append(f"{head}  n={row['n']}: bioplastic {f(b['s_per_sim_s'])} s/sim-s (compile {f(b['compile_only_s'])} s, "
                         f"{f(b['rate_hz'])} Hz, {b['memory_bytes'] / 1e6:.0f} MB); BrainPy "
                         + (f"{f(t['s_per_sim_s'])} s/sim-s ({f(t['rate_hz'])} Hz); ratio {f(row['ratio'])}"
                            if "s_per_sim_s" in t else t.get("left_out", "?")))
        pr, pg = r["protocol"], r["propagation"]
        if "s_per_sim_s" in pr:
            lines.append(f"{head}  protocol path {f(pr['s_per_sim_s'])} s/sim-s, {f(pr['ratio_to_fused'])}x one scan, "
                         f"chunk overhead {f(pr['chunk_overhead'])}")
        if "pure_jax_events_us_per_step" in pg:
            lines.append(f"{head}  propagation n={r['n']}: events {f(pg['pure_jax_events_us_per_step'])} us/step, "
                         f"brainevent {f(pg['brainevent_csr_us_per_step'])} us/step, chosen {pg['chosen']}")
    elif name == "routes":
        for row in r["rows"]:
            lines.append(f"{head}  n={row['n_pre']} {row['rate_hz']:g} Hz: events {f(row['events_us'])} us, "
                         f"brainevent {f(row['brainevent_us'])} us, search {f(row['search_us'])} us")
    else:
        keys = {"env": ("jax_backend", "devices"),
                "probe": ("import_s", "brainpy_coba_wall_s", "routes_wall_s"),
                "dual_propagation": ("dp_s", "bp_s", "ep_s", "dp_over_bp", "ep_over_dp"),
                "counter_current": ("ccl_s", "bp_s", "ccl_over_bp", "ccl_flops_over_bp"),
                "hlop": ("plain_step_s", "hlop_step_s", "overhead", "overhead_projecting_the_gradient"),
                "theta": ("steps", "seconds", "steady_seconds", "steps_per_second"),
                "sweep": ("points", "sequential_s", "jobs_s", "batched_s", "speedup_jobs", "speedup_batched")}.get(name, ())
        lines.append(f"{head}  " + ", ".join(f"{k} {f(r.get(k))}" for k in keys))
print("\n".join(lines))
EOF
echo
echo "gpu_session: done in $(( $(date +%s) - START ))s; results in $OUT"
"$PYTHON" "$SCRATCH/summary.py" "$OUT/results.jsonl" | tee "$OUT/summary.txt"
rm -rf "$SCRATCH"
