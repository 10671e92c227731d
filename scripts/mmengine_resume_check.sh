#!/usr/bin/env bash
# mmengine_resume_check.sh — resuming a run from a checkpoint that torch itself wrote in MMEngine's layout.
# Trains the tiny config for one epoch, has torch (python3 with torch) rewrite that checkpoint as MMEngine's runner
# saves epoch_1.pth ({meta, state_dict, optimizer: torch.optim.SGD.state_dict() indexed in named_parameters order,
# message_hub, param_schedulers}), resumes from it for epoch 2 and compares with a straight 2-epoch run: every
# tensor must be bit-identical. Usage: bash scripts/mmengine_resume_check.sh [JAR] (about 1 min on 2 cores).
set -euo pipefail
jar="$(realpath "${1:-target/autoassign-native.jar}")"
py="${PYTHON:-python3}"
"$py" -c 'import torch, numpy' || { echo "needs python3 with torch and numpy"; exit 2; }
dir="$(mktemp -d)"
cd "$dir"
run() { java -jar "$jar" train --config autoassign_tiny_synthetic --device cpu "$@" > "$dir/$2.log" 2>&1; }
run --work-dir a --epochs 1
run --work-dir straight --epochs 2
"$py" - <<'PY'
import collections, json, struct
import numpy as np, torch

def safetensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta, data, out = h.pop('__metadata__', {}), b[8 + n:], collections.OrderedDict()
    for k, v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        s, e = v['data_offsets']
        dt = {'F32': np.float32, 'I64': np.int64}[v['dtype']]
        out[k] = torch.from_numpy(np.frombuffer(data[s:e], dtype=dt).reshape(v['shape']).copy())
    return out, meta

sd, _ = safetensors('a/epoch_1.safetensors')
momentum, meta = safetensors('a/epoch_1.state.safetensors')
names = [k for k in sd if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))]
params = [torch.nn.Parameter(sd[k].clone()) for k in names]
opt = torch.optim.SGD([dict(params=[p]) for p in params], lr=0.01, momentum=0.9, weight_decay=1e-4)
for n, p in zip(names, params):
    if n in momentum:
        opt.state[p]['momentum_buffer'] = momentum[n].clone()
torch.save({'meta': {'epoch': int(meta['epoch']), 'iter': int(meta['global_iter']), 'mmengine_version': '0.10.4'},
            'state_dict': sd, 'message_hub': {}, 'optimizer': opt.state_dict(), 'param_schedulers': []}, 'epoch_1.pth')
print(f'torch wrote epoch_1.pth: {len(names)} parameters, {len(opt.state)} momentum buffers')
PY
run --work-dir resumed --epochs 2 --resume epoch_1.pth
grep 'resumed from' resumed.log
"$py" - <<'PY'
import json, struct
def read(p):
    b = open(p, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]
(ha, da), (hb, db) = read('straight/epoch_2.safetensors'), read('resumed/epoch_2.safetensors')
names = [k for k in ha if k != '__metadata__']
bad = [k for k in names if da[slice(*ha[k]['data_offsets'])] != db[slice(*hb[k]['data_offsets'])]]
print(f'{len(names)} tensors after epoch 2, {len(bad)} differ from the straight run {bad[:3]}')
raise SystemExit(1 if bad else 0)
PY
echo "PASS ($dir)"
