#!/usr/bin/env python3
"""Goldens for MMDetection's HRNet backbone (HRNetV2; mmdet/models/backbones/hrnet.py).

MMDetection / MMCV / MMEngine are not installed next to torch 1.13 here, so this transcribes, line for line,
mmdet/models/backbones/hrnet.py (HRModule, HRNet: stem, _make_layer, _make_transition_layer, _make_stage, forward;
read at open-mmlab/mmdetection commit 90a52fb5215c40b37a9c654bc3baf5920a165739, whose 3.x file differs only in its
imports: mmengine.model's BaseModule / ModuleList / Sequential) and the BasicBlock / Bottleneck (style 'pytorch') of
mmdet/models/backbones/resnet.py with plain torch.nn modules of the same attribute names and Sequential indices, so
that state-dict names, shapes and the eval-mode forward are upstream's (build_norm_layer(BN) = nn.BatchNorm2d named
bn1 / bn2 / bn3 in the blocks and the stem, '1' inside Sequentials; None entries of ModuleLists keep their indices).

Each case: the backbone config (the engine's YAML keys), every state-dict tensor (name, shape, values; running
statistics randomised), an input and the outputs (stage 4's branches), written to
src/test/resources/goldens/hrnet/<case>.json; names.json: the state-dict names, shapes and the parameter counts of the
real HRNetV2-W18 / W32 / W40 (no values). Run: /usr/bin/python3 scripts/goldens/hrnet.py [OUT_DIR]
"""
import json
import os
import sys

import torch
import torch.nn as nn


def conv3x3(cin, cout, s=1):
    return nn.Conv2d(cin, cout, 3, stride=s, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.add_module('bn1', nn.BatchNorm2d(planes))
        self.conv2 = conv3x3(planes, planes)
        self.add_module('bn2', nn.BatchNorm2d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):  # style='pytorch': the stride on conv2
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.add_module('bn1', nn.BatchNorm2d(planes))
        self.conv2 = conv3x3(planes, planes, stride)
        self.add_module('bn2', nn.BatchNorm2d(planes))
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.add_module('bn3', nn.BatchNorm2d(planes * 4))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class HRModule(nn.Module):
    def __init__(self, num_branches, blocks, num_blocks, in_channels, num_channels, multiscale_output=True):
        super().__init__()
        self.in_channels = in_channels
        self.num_branches = num_branches
        self.multiscale_output = multiscale_output
        self.branches = self._make_branches(num_branches, blocks, num_blocks, num_channels)
        self.fuse_layers = self._make_fuse_layers()
        self.relu = nn.ReLU(inplace=False)

    def _make_one_branch(self, branch_index, block, num_blocks, num_channels, stride=1):
        downsample = None
        if stride != 1 or self.in_channels[branch_index] != num_channels[branch_index] * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.in_channels[branch_index], num_channels[branch_index] * block.expansion,
                          kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(num_channels[branch_index] * block.expansion))
        layers = [block(self.in_channels[branch_index], num_channels[branch_index], stride, downsample=downsample)]
        self.in_channels[branch_index] = num_channels[branch_index] * block.expansion
        for i in range(1, num_blocks[branch_index]):
            layers.append(block(self.in_channels[branch_index], num_channels[branch_index]))
        return nn.Sequential(*layers)

    def _make_branches(self, num_branches, block, num_blocks, num_channels):
        return nn.ModuleList([self._make_one_branch(i, block, num_blocks, num_channels) for i in range(num_branches)])

    def _make_fuse_layers(self):
        if self.num_branches == 1:
            return None
        num_branches = self.num_branches
        in_channels = self.in_channels
        fuse_layers = []
        num_out_branches = num_branches if self.multiscale_output else 1
        for i in range(num_out_branches):
            fuse_layer = []
            for j in range(num_branches):
                if j > i:
                    fuse_layer.append(nn.Sequential(
                        nn.Conv2d(in_channels[j], in_channels[i], kernel_size=1, stride=1, padding=0, bias=False),
                        nn.BatchNorm2d(in_channels[i]),
                        nn.Upsample(scale_factor=2 ** (j - i), mode='nearest')))
                elif j == i:
                    fuse_layer.append(None)
                else:
                    conv_downsamples = []
                    for k in range(i - j):
                        if k == i - j - 1:
                            conv_downsamples.append(nn.Sequential(
                                nn.Conv2d(in_channels[j], in_channels[i], kernel_size=3, stride=2, padding=1, bias=False),
                                nn.BatchNorm2d(in_channels[i])))
                        else:
                            conv_downsamples.append(nn.Sequential(
                                nn.Conv2d(in_channels[j], in_channels[j], kernel_size=3, stride=2, padding=1, bias=False),
                                nn.BatchNorm2d(in_channels[j]),
                                nn.ReLU(inplace=False)))
                    fuse_layer.append(nn.Sequential(*conv_downsamples))
            fuse_layers.append(nn.ModuleList(fuse_layer))
        return nn.ModuleList(fuse_layers)

    def forward(self, x):
        if self.num_branches == 1:
            return [self.branches[0](x[0])]
        for i in range(self.num_branches):
            x[i] = self.branches[i](x[i])
        x_fuse = []
        for i in range(len(self.fuse_layers)):
            y = 0
            for j in range(self.num_branches):
                if i == j:
                    y += x[j]
                else:
                    y += self.fuse_layers[i][j](x[j])
            x_fuse.append(self.relu(y))
        return x_fuse


class HRNet(nn.Module):
    blocks_dict = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}

    def __init__(self, extra, multiscale_output=True):
        super().__init__()
        self.extra = extra
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1, bias=False)
        self.add_module('bn1', nn.BatchNorm2d(64))
        self.conv2 = nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1, bias=False)
        self.add_module('bn2', nn.BatchNorm2d(64))
        self.relu = nn.ReLU(inplace=True)

        self.stage1_cfg = self.extra['stage1']
        num_channels = self.stage1_cfg['num_channels'][0]
        block = self.blocks_dict[self.stage1_cfg['block']]
        num_blocks = self.stage1_cfg['num_blocks'][0]
        stage1_out_channels = num_channels * block.expansion
        self.layer1 = self._make_layer(block, 64, num_channels, num_blocks)

        pre_stage_channels = [stage1_out_channels]
        for k in (2, 3, 4):
            cfg = self.extra[f'stage{k}']
            setattr(self, f'stage{k}_cfg', cfg)
            block = self.blocks_dict[cfg['block']]
            num_channels = [c * block.expansion for c in cfg['num_channels']]
            setattr(self, f'transition{k - 1}', self._make_transition_layer(pre_stage_channels, num_channels))
            stage, pre_stage_channels = self._make_stage(cfg, num_channels,
                                                         multiscale_output=multiscale_output if k == 4 else True)
            setattr(self, f'stage{k}', stage)

    def _make_transition_layer(self, num_channels_pre_layer, num_channels_cur_layer):
        num_branches_cur = len(num_channels_cur_layer)
        num_branches_pre = len(num_channels_pre_layer)
        transition_layers = []
        for i in range(num_branches_cur):
            if i < num_branches_pre:
                if num_channels_cur_layer[i] != num_channels_pre_layer[i]:
                    transition_layers.append(nn.Sequential(
                        nn.Conv2d(num_channels_pre_layer[i], num_channels_cur_layer[i], 3, 1, 1, bias=False),
                        nn.BatchNorm2d(num_channels_cur_layer[i]),
                        nn.ReLU(inplace=True)))
                else:
                    transition_layers.append(None)
            else:
                conv_downsamples = []
                for j in range(i + 1 - num_branches_pre):
                    in_channels = num_channels_pre_layer[-1]
                    out_channels = num_channels_cur_layer[i] if j == i - num_branches_pre else in_channels
                    conv_downsamples.append(nn.Sequential(
                        nn.Conv2d(in_channels, out_channels, 3, 2, 1, bias=False),
                        nn.BatchNorm2d(out_channels),
                        nn.ReLU(inplace=True)))
                transition_layers.append(nn.Sequential(*conv_downsamples))
        return nn.ModuleList(transition_layers)

    def _make_layer(self, block, inplanes, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * block.expansion, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        layers = [block(inplanes, planes, stride, downsample=downsample)]
        inplanes = planes * block.expansion
        for i in range(1, blocks):
            layers.append(block(inplanes, planes))
        return nn.Sequential(*layers)

    def _make_stage(self, layer_config, in_channels, multiscale_output=True):
        num_modules = layer_config['num_modules']
        num_branches = layer_config['num_branches']
        num_blocks = layer_config['num_blocks']
        num_channels = layer_config['num_channels']
        block = self.blocks_dict[layer_config['block']]
        hr_modules = []
        for i in range(num_modules):
            reset_multiscale_output = not (not multiscale_output and i == num_modules - 1)
            hr_modules.append(HRModule(num_branches, block, num_blocks, in_channels, num_channels,
                                       reset_multiscale_output))
        return nn.Sequential(*hr_modules), in_channels

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.layer1(x)
        x_list = []
        for i in range(self.stage2_cfg['num_branches']):
            x_list.append(self.transition1[i](x) if self.transition1[i] is not None else x)
        y_list = self.stage2(x_list)
        x_list = []
        for i in range(self.stage3_cfg['num_branches']):
            x_list.append(self.transition2[i](y_list[-1]) if self.transition2[i] is not None else y_list[i])
        y_list = self.stage3(x_list)
        x_list = []
        for i in range(self.stage4_cfg['num_branches']):
            x_list.append(self.transition3[i](y_list[-1]) if self.transition3[i] is not None else y_list[i])
        return self.stage4(x_list)


def stage(modules, block, blocks, channels):
    return dict(num_modules=modules, num_branches=len(blocks), block=block, num_blocks=list(blocks),
                num_channels=list(channels))


def hrnetv2(w):
    """MMDetection's configs/hrnet HRNetV2-W{w} extra (W18 / W32 / W40: the same layout, widths w·2^i)."""
    c = [w, 2 * w, 4 * w, 8 * w]
    return dict(stage1=stage(1, 'BOTTLENECK', [4], [64]), stage2=stage(1, 'BASIC', [4, 4], c[:2]),
                stage3=stage(4, 'BASIC', [4, 4, 4], c[:3]), stage4=stage(3, 'BASIC', [4, 4, 4, 4], c))


CASES = [
    # name, extra, multiscale_output, input shape (divisible by 32, as the detector pads)
    ("w4_small", dict(stage1=stage(1, 'BOTTLENECK', [1], [8]), stage2=stage(1, 'BASIC', [1, 1], [4, 8]),
                      stage3=stage(2, 'BASIC', [1, 1, 1], [4, 8, 16]), stage4=stage(1, 'BASIC', [1, 2, 1, 1], [4, 8, 16, 32])),
     True, (1, 3, 64, 96)),
    # a BASIC stage 1 (transition1.0 is None: 8 channels kept), bottleneck branches, one output
    ("basic_stem_bottleneck_single_output",
     dict(stage1=stage(1, 'BASIC', [2], [8]), stage2=stage(2, 'BOTTLENECK', [1, 1], [2, 1]),
          stage3=stage(1, 'BASIC', [1, 1, 1], [8, 6, 8]), stage4=stage(2, 'BASIC', [1, 1, 1, 1], [8, 6, 8, 6])),
     False, (2, 3, 64, 64)),
    # stage 3 keeps 2 branches (no new branch) and widens the last; stage 4 adds two at once (a chain of 2 convs)
    ("two_new_branches", dict(stage1=stage(1, 'BOTTLENECK', [1], [4]), stage2=stage(1, 'BASIC', [1, 1], [6, 8]),
                              stage3=stage(1, 'BASIC', [1, 1], [6, 10]), stage4=stage(1, 'BASIC', [1, 1, 1, 1], [6, 10, 12, 14])),
     True, (1, 3, 64, 32)),
]


def randomise(m):
    with torch.no_grad():
        for k, t in m.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            if k.endswith("running_var"):
                t.uniform_(0.5, 1.5)
            elif k.endswith("running_mean") or k.endswith(".bias"):
                t.uniform_(-0.2, 0.2)
            elif t.dim() == 1:
                t.uniform_(0.5, 1.5)
            else:
                t.normal_(0, (1.0 / (t.shape[1] * t.shape[2] * t.shape[3])) ** 0.5)


FLOPS_INPUT = (256, 320)


def flops(m):
    """MMEngine's FlopAnalyzer counts of one eval forward of a [1, 3, 256, 320] input (batch 1) by top-level child
    and in total: conv = prod(weight shape) · output h · w, batch_norm (eval) = 2 per input element,
    upsample_nearest2d = 1 per output element; ReLU and the sums have no handle (0)."""
    counts = {}

    def owner(mod_name):
        return mod_name.split(".")[0]

    def hook(name):
        def fn(mod, inp, out):
            if isinstance(mod, nn.Conv2d):
                n = mod.weight.numel() * out.shape[2] * out.shape[3]
            elif isinstance(mod, nn.BatchNorm2d):
                n = 2 * inp[0].numel()
            elif isinstance(mod, nn.Upsample):
                n = out.numel()
            else:
                return
            counts[owner(name)] = counts.get(owner(name), 0) + n
            counts[""] = counts.get("", 0) + n
        return fn

    handles = [mod.register_forward_hook(hook(name)) for name, mod in m.named_modules() if name]
    m.eval()
    with torch.no_grad():
        m(torch.zeros(1, 3, *FLOPS_INPUT))
    for h in handles:
        h.remove()
    return counts


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../src/test/resources/goldens/hrnet")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20241127)
    for name, extra, multiscale, shape in CASES:
        m = HRNet(extra, multiscale)
        randomise(m)
        m.eval()
        x = torch.rand(shape) * 2 - 1
        with torch.no_grad():
            outs = m(x)
        sd = [{"name": k, "shape": list(t.shape), "values": [float(v) for v in t.reshape(-1).tolist()]}
              for k, t in m.state_dict().items()]
        cfg = dict(type="HRNet", extra=extra, multiscale_output=multiscale)
        case = {"name": name, "torch": torch.__version__, "backbone": cfg, "state_dict": sd, "input_shape": list(shape),
                "input": [float(v) for v in x.reshape(-1).tolist()],
                "outputs": [{"shape": list(o.shape), "values": [float(v) for v in o.reshape(-1).tolist()]} for o in outs]}
        with open(os.path.join(out_dir, name + ".json"), "w") as fh:
            json.dump(case, fh)
        print(name, "params", sum(t.numel() for t in m.parameters()), "outs", [list(o.shape) for o in outs])
    nets = []
    for w in (18, 32, 40):
        m = HRNet(hrnetv2(w))
        nets.append({"name": f"hrnetv2_w{w}", "backbone": dict(type="HRNet", extra=hrnetv2(w)),
                     "parameters": sum(t.numel() for t in m.parameters()),
                     "state_dict": [{"name": k, "shape": list(t.shape)} for k, t in m.state_dict().items()],
                     "flops_input": list(FLOPS_INPUT), "flops": flops(m)})
        print(f"hrnetv2_w{w}", nets[-1]["parameters"], "parameters,", len(nets[-1]["state_dict"]), "state-dict entries")
    with open(os.path.join(out_dir, "names.json"), "w") as fh:
        json.dump({"torch": torch.__version__, "networks": nets}, fh)


if __name__ == "__main__":
    main()
