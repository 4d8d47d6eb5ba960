#!/usr/bin/env bash
# Data-parallel scaling on one machine: the same config and global batch trained by
#   1 process x C threads   and   R MPI ranks x C/R threads each,
# reporting training samples/s (mean of the logged windows after the first, i.e. after
# warm-up; rank 0's windows count the samples of all ranks). Needs soma built with MPI.
#
#   tools/bench_data_parallel.sh CONFIG [STEPS=60] [RANKS=2] [CORES=nproc] [--set k=v ...]
#   SOMA=build/bin/soma (default), BIND=core (mpirun --bind-to; none lets the OS place ranks), REPS=3 (alternating repetitions; each figure is printed and
#   the median summarised, since other load on the machine drifts)
set -euo pipefail
CONFIG=${1:?usage: bench_data_parallel.sh CONFIG [STEPS] [RANKS] [CORES] [--set k=v ...]}
STEPS=${2:-60}
RANKS=${3:-2}
CORES=${4:-$(nproc)}
shift $(( $# < 4 ? $# : 4 ))
SOMA=${SOMA:-build/bin/soma}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(train "$CONFIG" --set train.max_steps="$STEPS" --set train.epochs=1000
        --set train.log_every=5 --set output.checkpoint_every=0 "$@")

rate() {  # metrics.jsonl -> mean samples/s of the step windows after the first
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = [x["samples_per_s"] for x in rows if x.get("kind") == "step"][1:]
print(f"{sum(r) / len(r):.1f}" if r else "nan")
PY
}

per=$(( CORES / RANKS ))
REPS=${REPS:-3}
ones=() dps=()
for rep in $(seq 1 "$REPS"); do
  rm -rf "$out/one" "$out/dp"
  "$SOMA" --threads "$CORES" "${common[@]}" --out "$out/one" > "$out/one.log" 2>&1
  ones+=("$(rate "$out/one/metrics.jsonl")")
  mpirun --oversubscribe --allow-run-as-root -np "$RANKS" --bind-to "${BIND:-core}" --map-by "slot:PE=$per" \
    "$SOMA" --threads "$per" "${common[@]}" --out "$out/dp" > "$out/dp.log" 2>&1
  dps+=("$(rate "$out/dp/metrics.jsonl")")
  echo "rep $rep: 1x$CORES ${ones[-1]}  ${RANKS}x$per ${dps[-1]} samples/s (load $(cut -d' ' -f1 /proc/loadavg))"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "config $CONFIG, $STEPS steps of the global batch, median of $REPS"
echo "1 rank x $CORES threads: $(median "${ones[@]}") samples/s"
echo "$RANKS ranks x $per threads: $(median "${dps[@]}") samples/s"
