#!/usr/bin/env bash
# gpu_session.sh — everything this project checks on a lent GPU machine, in one call (the device time is short):
#   0. `env` (the environment, as MMDetection's collect_env)
#   1. every CUDA Backend op against its CPU twin (CudaSelfCheck, incl. the fused loss)
#   2. a few training steps of the tiny config on CUDA vs CPU from identical weights (losses must agree); after step 4 also with
#      frozen BN (2b: the fused conv + BN + residual + ReLU layers of R50) and with the optimizer wrapper's options
#      (2c: clip_grad, accumulative_counts, bias_lr_mult, EMAHook; 2d: AdamW; 2e: a trained BN affine;
#      2f: BN with batch statistics, norm_eval false; 2g: DCNv2; 2h: centered RMSprop with momentum; 2i: NAdam;
#      2j: Rprop; 2k: ASGD; 2l-2n: the Swin, CSPDarknet + YOLOXPAFPN and ResNeSt backbones; 2o-2p: PVT v1 / v2;
#      2q: EfficientNet; 2r: CSPNeXt + CSPNeXtPAFPN; 2s: Swin with dropout and the absolute position embedding;
#      2t: AmpOptimWrapper's loss scaling)
#   3. the R50 config: training step at 2x3x800x1216 and inference at 1x3x800x1216 on CUDA (ms, peak memory);
#      both again with the per-op GPU profile (tables in the log); inference again with host post-processing
#   4. the PyTorch eager script of the same network and step (the speed anchor), when python3 has torch; the
#      training step also with cudnn.benchmark off (4b: heuristic algorithms, as our default in 3a)
#   5. NCCL through the real code path with one rank (all-reduce of the full R50 gradient set)
#   6. the default job on CUDA (train --device cuda: synthetic data, 12 epochs, evaluations), then eval (with GPU and
#      with host post-processing, and through eval --gpus 1's sharded NCCL path), detect and benchmark --task inference
#   7. the R50 step and inference with cudnnFind algorithms instead of cuDNN's heuristics (last: its cost is unknown)
# Prepare here with scripts/package_gpu_check.sh, then run with the device tool: command
# `bash scripts/gpu_session.sh`, carry [".gpu/java"]. Results also land in $OUT (logs and JSON).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-/tmp/aa-gpu-out}"
mkdir -p "$out"
exec > >(tee "$out/gpu_session.log") 2>&1
cd "$root"
# a package built from other sources would test old code (session 9's review found one built before two kernels)
want="$(cat "${AA_GPU_JAVA:-$root/.gpu/java}/SOURCE_STAMP" 2>/dev/null || echo none)"; have="$(bash scripts/source_stamp.sh)"
if [ "$want" != "$have" ] && [ "${AA_ALLOW_STALE:-0}" != 1 ]; then
  echo "gpu_session.sh: .gpu/java was built from other sources (stamp $want, tree $have): run scripts/package_gpu_check.sh" \
       "again before the device call (AA_ALLOW_STALE=1 runs it anyway)"
  exit 3
fi
source "$root/scripts/gpu_env.sh" || exit 2
status=0
xopts=() # extra JVM options of the next steps (set around a step, then emptied)
# AA_DEVICE=cpu rehearses the script's Java steps here without a GPU (steps 2, 3, 6, 7: the plumbing, not the GPU)
dev="${AA_DEVICE:-cuda:0}"
# AA_BUDGET_S: the seconds this whole script may take (the device call's limit less the start): each step's timeout is
# cut to what is left, and a step with under 20 s left is skipped, so the summary is still printed before the call ends
deadline=$(( $(date +%s) + ${AA_BUDGET_S:-1000000} ))
clamp() { # clamp SECONDS: prints SECONDS, or the seconds left before the deadline (less 10) when fewer
  local left=$(( deadline - $(date +%s) - 10 ))
  [ "$1" -lt "$left" ] && echo "$1" || echo "$left"
}
# AA_ONLY_STEPS="1 2l 2o": only the steps with these ids (a title's first word) run; AA_JVM_OPTS: JVM options of every
# step (e.g. -Dautoassign.cuda.tf32=false: the parity checks in plain FP32)
read -ra userjopts <<< "${AA_JVM_OPTS:-}"
step() { # step TITLE SECONDS CLASS ARGS...
  local title="$1" secs; secs="$(clamp "$2")"; shift 2
  [ -n "${AA_ONLY_STEPS:-}" ] && [[ " $AA_ONLY_STEPS " != *" ${title%% *} "* ]] && return
  echo; echo "=== $title"
  if [ "$secs" -lt 20 ]; then echo "=== $title: SKIPPED (the time budget AA_BUDGET_S is spent)"; status=1; return; fi
  local t0=$(date +%s)
  # ${a[@]+...}: an empty array under set -u is an error in bash before 4.4
  timeout "$secs" "$java" "${jopts[@]}" ${userjopts[@]+"${userjopts[@]}"} ${xopts[@]+"${xopts[@]}"} -cp "$cp" "$@"
  local rc=$?
  echo "=== $title: exit $rc after $(( $(date +%s) - t0 )) s"
  [ $rc -eq 0 ] || status=1
}
# the parity variants only check numbers (no timings), so they run AA_PARALLEL at a time (the GPU machine has 16 cores);
# each one's output goes to its own file, printed in order by pwait
par="${AA_PARALLEL:-4}"; plogs=(); ppids=()
pstep() { # pstep: step's arguments, in the background
  local f="$work/parallel-$(printf %02d ${#plogs[@]}).log"
  while [ "$(running)" -ge "$par" ]; do sleep 1; done
  step "$@" > "$f" 2>&1 &
  plogs+=("$f"); ppids+=($!)
}
running() { local n=0 p; for p in ${ppids[@]+"${ppids[@]}"}; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done; echo $n; }
pwait() { # waits for the pstep jobs, prints their output in order, and counts a failed or skipped one
  local f
  [ ${#ppids[@]} -gt 0 ] && wait "${ppids[@]}"
  for f in ${plogs[@]+"${plogs[@]}"}; do # (an empty file: a step left out by AA_ONLY_STEPS)
    cat "$f"; if [ -s "$f" ] && ! grep -q '^=== .*: exit 0 after' "$f"; then status=1; fi
  done
  plogs=(); ppids=()
}
r50_bench() { # r50_bench TITLE SECONDS train|infer RUNS JSON: the bench of the R50 config at 800x1216 on $dev
  local batch=2; [ "$3" = infer ] && batch=1
  step "$1" "$2" autoassign.cli.Main bench --config autoassign_r50-caffe_fpn_1x_coco --mode "$3" --size 800x1216 \
      --batch $batch --warmup 2 --runs "$4" --device "$dev" --json "$out/$5"
}
# the variants of step 2 (2b-2t: other layers and optimizers, CUDA vs CPU); they run after steps 3-6, so that a run cut
# short by the call's time limit still has the R50 timings and the PyTorch anchor
parity_variants() {
  # the same with R50's backbone habits (frozen BN, stem and stage 1 frozen): the fused conv + BN (+ residual) + ReLU
  pstep "2b tiny training steps with frozen BN, CUDA vs CPU" 120 autoassign.train.DeviceParityCheck \
      autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 model.backbone.frozen_stages=1 "model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: false}"
  # the optimizer wrapper's device paths (session 6): gradient clipping, accumulation, per-group lrs, EMA
  pstep "2c tiny training with clip_grad, accumulative_counts, bias_lr_mult, EMAHook, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 6 256x256 2 1e-2 "optim_wrapper.clip_grad={max_norm: 1.0}" \
      optim_wrapper.accumulative_counts=2 "optim_wrapper.paramwise_cfg={norm_decay_mult: 0.0, bias_lr_mult: 2.0}" \
      "custom_hooks=[{type: EMAHook, momentum: 0.1}]"
  # BatchNorm with a trained affine (session 7: norm_eval with requires_grad, aaj_channel_dot for the weight's gradient)
  pstep "2e tiny training with a trained BN affine, CUDA vs CPU" 120 autoassign.train.DeviceParityCheck \
      autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 model.backbone.frozen_stages=1 "model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: true}"
  # BatchNorm with batch statistics (session 8: norm_eval false; F.batchNormTraining composed of channelSum,
  # channelDot and the per-channel affines, running statistics updated on the host)
  pstep "2f tiny training with BN batch statistics (norm_eval false), CUDA vs CPU" 120 autoassign.train.DeviceParityCheck \
      autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 model.backbone.frozen_stages=1 "model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: true}" \
      model.backbone.norm_eval=false
  # AdamW (session 7): aaj_adam_multi, one launch over every tensor
  pstep "2d tiny training with AdamW, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "optim_wrapper.optimizer={_delete_: true, type: AdamW, lr: 0.0005, weight_decay: 0.05}"
  # deformable convolutions (session 13): aaj_dcn_im2col / col2im / col2im_coord, DCNv2 in stages 2-4 of a bottleneck ResNet
  pstep "2g tiny training with DCNv2 bottlenecks, CUDA vs CPU" 120 autoassign.train.DeviceParityCheck \
      autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 model.backbone.depth=50 "model.neck.in_channels=[128, 256, 512]" \
      "model.backbone.dcn={type: DCNv2, deform_groups: 1, fallback_on_stride: false}" \
      "model.backbone.stage_with_dcn=[false, true, true, true]"
  # the other optimizers (session 13): aaj_opt_multi (DeviceParityCheck steps at the config's lr, no schedulers)
  pstep "2h tiny training with centered RMSprop and momentum, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "optim_wrapper.optimizer={_delete_: true, type: RMSprop, lr: 0.001, momentum: 0.9, centered: true, weight_decay: 0.0001}"
  pstep "2i tiny training with NAdam, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "optim_wrapper.optimizer={_delete_: true, type: NAdam, lr: 0.001, weight_decay: 0.0001}"
  # Rprop and ASGD (session 14): aaj_opt_multi rules 7 and 8; Rprop follows gradient signs, so its step sizes are kept
  # small (a TF32-flipped sign of a near-zero element moves the losses far less than the tolerance)
  pstep "2j tiny training with Rprop, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "optim_wrapper.optimizer={_delete_: true, type: Rprop, lr: 0.0001, step_sizes: [1.0e-6, 0.001]}" "optim_wrapper.paramwise_cfg={_delete_: true}"
  pstep "2k tiny training with ASGD, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "optim_wrapper.optimizer={_delete_: true, type: ASGD, lr: 0.01, lambd: 0.01, t0: 2, weight_decay: 0.0001}"
  # the session-14 backbones in training: Swin (gather, bmm, softmax, GELU, LayerNorm as GroupNorm(1), drop path),
  # CSPDarknet + YOLOXPAFPN with a three-level head (Swish, Focus's space-to-depth, SPP pools, BN batch statistics),
  # ResNeSt (split attention: softmax over the radix, rowScale, the spatial mean, train-mode BN)
  pstep "2l tiny training with a Swin backbone, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: SwinTransformer, embed_dims: 16, depths: [2, 2, 2, 2], num_heads: [1, 2, 4, 8], window_size: 4, drop_path_rate: 0.1, out_indices: [1, 2, 3], convert_weights: false}"
  pstep "2m tiny training with CSPDarknet + YOLOXPAFPN (three levels), CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: CSPDarknet, deepen_factor: 0.33, widen_factor: 0.125, out_indices: [2, 3, 4]}" \
      "model.neck={_delete_: true, type: YOLOXPAFPN, in_channels: [32, 64, 128], out_channels: 32, num_csp_blocks: 1}" \
      "model.bbox_head.strides=[8, 16, 32]"
  pstep "2n tiny training with a ResNeSt backbone (BN batch statistics), CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: ResNeSt, depth: 50, stem_channels: 16, base_channels: 8, radix: 2, reduction_factor: 4, out_indices: [1, 2, 3], norm_cfg: {type: BN, requires_grad: true}, norm_eval: false}" \
      "model.neck.in_channels=[64, 128, 256]"
  # PVT v1 (position embedding resized by interpolation-matrix bmm, spatial-reduction attention) and v2 (overlapping
  # patch embed, MixFFN's depth-wise conv): gather, bmm, softmax, GELU, grouped conv, drop path
  pstep "2o tiny training with a PVT (v1) backbone, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: PyramidVisionTransformer, pretrain_img_size: 224, embed_dims: 16, num_layers: [1, 1, 1, 1], num_heads: [1, 2, 4, 8], mlp_ratios: [2, 2, 2, 2], drop_path_rate: 0.1, out_indices: [1, 2, 3]}"
  pstep "2p tiny training with a PVTv2 backbone, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: PyramidVisionTransformerV2, embed_dims: 16, num_layers: [1, 1, 1, 1], num_heads: [1, 2, 4, 8], mlp_ratios: [2, 2, 2, 2], drop_path_rate: 0.1, out_indices: [1, 2, 3]}"
  # session 15: EfficientNet (TF "same" padding by a zero-padded kernel gather, SE by the spatial mean, rowScale,
  # Swish, drop path), CSPNeXt (hardsigmoid channel attention, 5x5 depth-wise), Swin's dropout kernel, AMP's scaling
  pstep "2q tiny training with an EfficientNet-B0 backbone, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: EfficientNet, arch: b0, drop_path_rate: 0.1, out_indices: [3, 4, 5]}" \
      "model.neck.in_channels=[40, 112, 320]"
  pstep "2r tiny training with CSPNeXt + CSPNeXtPAFPN (three levels), CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: CSPNeXt, deepen_factor: 0.33, widen_factor: 0.125, out_indices: [2, 3, 4]}" \
      "model.neck={_delete_: true, type: CSPNeXtPAFPN, in_channels: [32, 64, 128], out_channels: 32, num_csp_blocks: 1}" \
      "model.bbox_head.strides=[8, 16, 32]"
  pstep "2s tiny training with Swin dropout and the absolute position embedding, CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      "model.backbone={_delete_: true, type: SwinTransformer, embed_dims: 16, depths: [2, 2, 2, 2], num_heads: [1, 2, 4, 8], window_size: 4, drop_rate: 0.1, attn_drop_rate: 0.1, use_abs_pos_embed: true, pretrain_img_size: 256, out_indices: [1, 2, 3], convert_weights: false}"
  pstep "2t tiny training with AmpOptimWrapper (dynamic loss scaling), CUDA vs CPU" 120 \
      autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2 1e-2 \
      optim_wrapper.type=AmpOptimWrapper optim_wrapper.loss_scale=dynamic
  pwait
}
only="${AA_STEPS:-1234567}"
# the environment as `env` reports it (MMDetection's collect_env): GPUs, driver, runtime, cuDNN, NCCL, kernels
step "0 env" 60 autoassign.cli.Main env --json "$out/env.json"
[[ $only == *1* ]] && step "1 ops vs CPU twin" 200 autoassign.backend.cuda.CudaSelfCheck --device "$dev" --reps 3
# the parity checks also print the CPU's own drift from weights perturbed by 1e-6 (a value after step 0 may lie within
# 10x of it: ResNeSt's and CSPDarknet's tiny models amplify rounding ~100x per step, on the CPU alone too). 1e-6 is
# calibrated on the H200: it moves ResNeSt's step-0 losses by 1.8e-6 on the CPU, where the GPU's FP32 differ by 1.6e-6
parity=(-Dautoassign.parity.sensitivity=1e-6)
xopts=("${parity[@]}")
[[ $only == *2* ]] && step "2 tiny training steps, CUDA vs CPU" 120 autoassign.train.DeviceParityCheck autoassign_tiny_synthetic "$dev" 5 256x256 2
xopts=()
if [[ $only == *3* ]]; then
  r50_bench "3a R50 train step 2x800x1216" 200 train 5 ours_r50_train.json
  r50_bench "3b R50 inference 1x800x1216" 120 infer 5 ours_r50_infer.json
  # the profile table (stderr, at exit) covers the 3 timed steps: the bench's resetPeakMemory() after the warm-up
  # also restarts the profile, so no afterMs guess is needed (the whole JVM run lasts ~5 s)
  xopts=(-Dautoassign.cuda.profile=true)
  r50_bench "3c R50 train step, per-op GPU profile" 60 train 3 ours_r50_train_profile.json
  r50_bench "3c' R50 inference, per-op GPU profile" 60 infer 5 ours_r50_infer_profile.json
  # inference as before session 4: head outputs downloaded, post-processing on the host (3b has it on the GPU)
  xopts=(-Dautoassign.cuda.fusedPostprocess=false)
  r50_bench "3d R50 inference, host post-processing" 60 infer 5 ours_r50_infer_hostpp.json
  xopts=()
fi
if [[ $only == *4* ]]; then
  echo; echo "=== 4 PyTorch eager baseline"
  if python3 -c 'import torch' 2>/dev/null && [ -f benchmarks/pytorch/autoassign_torch.py ]; then
    timeout "$(clamp 150)" python3 benchmarks/pytorch/autoassign_torch.py --config r50 --device cuda --mode train --size 800x1216 \
        --batch 2 --warmup 3 --runs 5 --json "$out/torch_r50_train.json" || status=1
    timeout "$(clamp 90)" python3 benchmarks/pytorch/autoassign_torch.py --config r50 --device cuda --mode infer --size 800x1216 \
        --batch 1 --warmup 3 --runs 5 --json "$out/torch_r50_infer.json" || status=1
    # 4b: with cuDNN's heuristics, as our default (3a); 4 times cudnn.benchmark, as our cudnnFind (7a)
    echo "--- 4b PyTorch train step with cudnn.benchmark off"
    timeout "$(clamp 90)" python3 benchmarks/pytorch/autoassign_torch.py --config r50 --device cuda --mode train --size 800x1216 \
        --batch 2 --warmup 3 --runs 5 --no-cudnn-benchmark --json "$out/torch_r50_train_heuristics.json" || status=1
  else
    echo "python3 with torch (or the script) not found: baseline skipped"
  fi
fi
[[ $only == *5* ]] && step "5 NCCL one rank (real code path)" 200 autoassign.train.dist.NcclSelfCheck --work "$work/nccl" --no-train
if [[ $only == *6* ]]; then
  tiny="$work/tiny"; data="$work/synthetic"
  step "6a default job on CUDA" 300 autoassign.cli.Main train --device "$dev" --work-dir "$tiny" --data-root "$data"
  cp "$tiny/final.json" "$out/tiny_cuda_final.json" 2>/dev/null; cp "$tiny/curves.png" "$out/tiny_cuda_curves.png" 2>/dev/null
  step "6b eval on CUDA" 120 autoassign.cli.Main eval --config autoassign_tiny_synthetic \
      --checkpoint "$tiny/epoch_12.safetensors" --data-root "$data" --device "$dev" --out "$out/tiny_eval.pkl"
  # the same evaluation with the host post-processor (6b post-processes on the GPU): the 12 numbers must agree
  xopts=(-Dautoassign.cuda.fusedPostprocess=false)
  step "6b' eval on CUDA, host post-processing" 120 autoassign.cli.Main eval --config autoassign_tiny_synthetic \
      --checkpoint "$tiny/epoch_12.safetensors" --data-root "$data" --device "$dev"
  xopts=()
  # dist_test's path (session 6): the test set through DataParallelEvaluation with NCCL, one rank; the numbers must
  # equal 6b's (the tiny config tests at batch 1)
  # (session 9: --out through the sharded path, gathered over NCCL; the pickle should equal 6b's byte for byte)
  if [[ $dev == cuda* ]]; then
    step "6b'' eval --gpus 1 (NCCL, sharded path)" 120 autoassign.cli.Main eval \
        --config autoassign_tiny_synthetic --checkpoint "$tiny/epoch_12.safetensors" --data-root "$data" --gpus 1 \
        --out "$out/tiny_eval_gpus1.pkl"
    cmp -s "$out/tiny_eval.pkl" "$out/tiny_eval_gpus1.pkl" && echo "6b / 6b'' --out pickles: identical" \
        || echo "6b / 6b'' --out pickles: DIFFER (or missing)"
  fi
  step "6c detect on CUDA" 120 autoassign.cli.Main detect --config autoassign_tiny_synthetic \
      --checkpoint "$tiny/epoch_12.safetensors" --device "$dev" --out "$out/detect" \
      $(ls "$data"/images/*val* 2>/dev/null | head -2; ls "$data"/images/* 2>/dev/null | tail -1)
  # MMDetection's benchmark.py on the test set (batch 1): images per second of the model's test step on CUDA
  step "6d benchmark --task inference on CUDA" 90 autoassign.cli.Main benchmark --config autoassign_tiny_synthetic \
      --checkpoint "$tiny/epoch_12.safetensors" --task inference --max-iter 50 --log-interval 25 --data-root "$data" --device "$dev"
fi
# after the timings and the end-to-end runs: a call cut short by its time limit loses the least
# the variants in FP32 (cuDNN and cuBLAS without TF32): they check our kernels, and TF32's rounding alone moved the
# losses of 2h (centered RMSprop, whose losses blow up to 17) and 2m by 2-12% by step 4 on the H200; step 2 keeps TF32
xopts=("${parity[@]}" -Dautoassign.cuda.tf32=false)
[[ $only == *2* ]] && parity_variants
xopts=()
# last, since cudnnFind's own time is unknown: the step and inference with measured (not heuristic) algorithms
if [[ $only == *7* ]]; then
  xopts=(-Dautoassign.cudnn.find=true)
  r50_bench "7a R50 train step with cudnnFind" 120 train 5 ours_r50_train_find.json
  r50_bench "7b R50 inference with cudnnFind" 60 infer 5 ours_r50_infer_find.json
  xopts=()
fi
echo
echo "=== summary (scripts/gpu_summary.py: the R50 timings against issue 9's targets)"
python3 scripts/gpu_summary.py "$out" || echo "(no summary: a result file is missing)"
echo
echo "gpu_session.sh: $([ $status -eq 0 ] && echo ALL STEPS PASSED || echo SOME STEPS FAILED)"
exit $status
