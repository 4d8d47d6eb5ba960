#!/usr/bin/env bash
# The Slurm path for real, on this machine: a local cluster (tools/slurm/local_cluster.sh),
# `soma sweep --slurm` submitting a two-task job array of the digits smoke config (1 epoch),
# and a third task that gets the time-limit signal, checkpoints, requeues itself and resumes.
# Waits are bounded; the daemons are stopped by their pid files on every exit path.
#
# Then the templates of tools/slurm/: train.sbatch, sweep_array.sbatch on the sweep directory,
# and (when WITH_MPI=1) train_mpi.sbatch with two ranks under mpirun inside the allocation.
#
#   run_slurm_sweep.sh SOMA_BINARY SOURCE_DIR WORK_DIR [WITH_MPI]
# Exit codes: 0 pass, 1 failure, 77 skipped (not root, or Slurm missing and not installable).
set -uo pipefail
SOMA=${1:?soma binary}
SRC=${2:?source dir}
WORK=${3:?work dir}
WITH_MPI=${4:-0}
STATE="$WORK/cluster"
CLUSTER="$SRC/tools/slurm/local_cluster.sh"
log() { echo "[slurm-test] $*"; }

if [ "$(id -u)" -ne 0 ]; then
  log "SKIPPED: starting Slurm daemons needs root"
  exit 77
fi
if ! command -v sbatch >/dev/null || [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/munged ]; then
  if command -v apt-get >/dev/null; then
    log "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends \
      slurm-wlm munge >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive timeout 600 \
          apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1; } ||
      { log "SKIPPED: could not install slurm-wlm and munge"; exit 77; }
  else
    log "SKIPPED: Slurm is not installed and there is no apt-get"
    exit 77
  fi
fi

# One local cluster at a time on this machine (fixed ports).
exec 9>/tmp/soma-slurm-test.lock
flock -w 900 9 || { log "another Slurm test holds the lock for too long"; exit 1; }

"$CLUSTER" stop "$STATE" >/dev/null 2>&1
rm -rf "$WORK"
mkdir -p "$WORK"
cleanup() {
  "$CLUSTER" stop "$STATE"
}
trap cleanup EXIT
"$CLUSTER" start "$STATE" || { log "FAIL: the local cluster did not start"; exit 1; }
export SLURM_CONF="$STATE/slurm.conf"
cd "$SRC"

fail() {
  log "FAIL: $*"
  for f in "$WORK"/sw/*.out "$WORK"/long/slurm-*.out "$WORK"/*.out; do
    [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
  done
  squeue 2>&1 | head
  tail -n 15 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" 2>/dev/null
  exit 1
}

# Waits (at most $2 s) until job $1 has left the queue.
wait_gone() {
  local i
  for i in $(seq 1 "$2"); do
    squeue -h -j "$1" 2>/dev/null | grep -q . || return 0
    sleep 1
  done
  return 1
}

# --- 1. a two-task array sweep of the smoke config, one epoch each
printf 'train.optimizer.lr: [0.003, 0.01]\n' > "$WORK/grid.yaml"
job=$("$SOMA" sweep tests/configs/good/digits_base.yaml --grid "$WORK/grid.yaml" \
        --set train.epochs=1 --out "$WORK/sw" --slurm --cpus 1 --time 00:10:00) ||
  fail "soma sweep --slurm did not submit"
log "submitted array job $job"
wait_gone "$job" 300 || fail "job $job still queued after 300 s"
for p in 000_lr=0.003 001_lr=0.01; do
  [ -f "$WORK/sw/$p/last.h5" ] || fail "$p has no last.h5"
  grep -q "done in" "$WORK/sw/$p/train.log" || fail "$p did not finish"
done
ls "$WORK"/sw/slurm-"$job"_0.out "$WORK"/sw/slurm-"$job"_1.out >/dev/null || fail "no task output"
"$SOMA" report "$WORK/sw" --csv "$WORK/report.csv" || fail "soma report failed"

# --- 2. time limit: the batch shell gets TERM (as from --signal=B:TERM@120), soma checkpoints,
# the task requeues itself and, started again, resumes to the end.
printf 'seed: [3]\n' > "$WORK/one.yaml"
job2=$("$SOMA" sweep tests/configs/good/digits_base.yaml --grid "$WORK/one.yaml" \
         --set train.epochs=60 --out "$WORK/long" --slurm --cpus 1) || fail "second submit"
out2="$WORK/long/slurm-${job2}_0.out"
for i in $(seq 1 600); do grep -q "epoch 2/60" "$out2" 2>/dev/null && break; sleep 0.1; done
grep -q "epoch 2/60" "$out2" || fail "the long task did not start training"
scancel --batch --signal=TERM "${job2}_0" || fail "scancel --signal failed"
for i in $(seq 1 300); do grep -q "requeueing" "$out2" && break; sleep 0.1; done
grep -q "requeueing" "$out2" || fail "the task did not requeue itself"
# Slurm holds a requeued job for ~2 minutes (BeginTime); release it now.
for i in $(seq 1 100); do
  [ "$(squeue -h -j "${job2}_0" -o %T 2>/dev/null)" = PENDING ] && break
  sleep 0.2
done
scontrol update JobId="${job2}_0" StartTime=now || fail "cannot release the requeued task"
wait_gone "$job2" 300 || fail "requeued job $job2 still queued after 300 s"
grep -q "restart 1" "$out2" || fail "the task did not run a second time"
grep -q "resumed from" "$out2" || fail "the second run did not resume"

# --- 3. the templates
export SOMA
j3=$(sbatch --parsable --cpus-per-task=1 --output="$WORK/train.out" tools/slurm/train.sbatch \
       tests/configs/good/digits_base.yaml "$WORK/single" --set train.epochs=1) || fail "train.sbatch"
j4=$(sbatch --parsable --array=0-1 --output="$WORK/sw/template-%A_%a.out" \
       tools/slurm/sweep_array.sbatch "$WORK/sw") || fail "sweep_array.sbatch"
jobs="$j3 $j4"
if [ "$WITH_MPI" = 1 ]; then
  j5=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 sbatch --parsable --nodes=1 \
         --ntasks-per-node=2 --cpus-per-task=1 --time=00:10:00 --output="$WORK/mpi.out" \
         tools/slurm/train_mpi.sbatch tests/configs/good/digits_base.yaml "$WORK/mpi" \
         --set train.epochs=1) || fail "train_mpi.sbatch"
  jobs="$jobs $j5"
fi
for j in $jobs; do wait_gone "$j" 300 || fail "template job $j still queued after 300 s"; done
[ -f "$WORK/single/last.h5" ] || fail "train.sbatch left no checkpoint"
grep -q "soma sweep task 1: 001_lr=0.01" "$WORK"/sw/template-"${j4}"_1.out || fail "sweep_array task 1"
grep -q "resumed from" "$WORK"/sw/template-"${j4}"_0.out || fail "sweep_array did not resume the done point"
if [ "$WITH_MPI" = 1 ]; then
  [ -f "$WORK/mpi/last.h5" ] || fail "train_mpi.sbatch left no checkpoint"
  grep -q "data parallel: 2 ranks" "$WORK/mpi.out" || fail "train_mpi.sbatch did not run 2 ranks"
fi
log "PASS"
exit 0
