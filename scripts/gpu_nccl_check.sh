#!/usr/bin/env bash
# gpu_nccl_check.sh — the data-parallel GPU path on the lent machine (one GPU, no Java, no internet):
# autoassign.train.dist.NcclSelfCheck — NCCL loads, ncclCommInitAll and ncclCommInitRank (unique id through the TCP
# rendezvous on loopback), all-reduce / broadcast / all-gather values, the all-reduce of a 36.15M-float buffer (the
# R50 gradient set) and the bucketed gradient path of a step timed (median of --reps), then one epoch of
# `train --gpus 1` on the tiny synthetic config through the real NCCL code path.
# Needs .gpu/java from scripts/package_gpu_check.sh (run where Java and Maven are; carry ".gpu/java").
# Extra arguments go to NcclSelfCheck (--reps N, --floats N, --no-train). Log also in $OUT/gpu_nccl_check.log.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log="${OUT:+$OUT/gpu_nccl_check.log}"
[ -n "$log" ] && exec > >(tee "$log") 2>&1

source "$root/scripts/gpu_env.sh" || exit 2
nvidia-smi topo -m 2>/dev/null | head -5

cd "$work"
timeout 420 "$java" "${jopts[@]}" -cp "$cp" autoassign.train.dist.NcclSelfCheck --work "$work/nccl" "$@"
rc=$?
echo "gpu_nccl_check.sh: exit $rc"
exit $rc
