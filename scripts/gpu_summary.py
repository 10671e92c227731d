#!/usr/bin/env python3
"""Summarises the JSON results of scripts/gpu_session.sh as the markdown table docs/cuda.md keeps per run.

Each row compares one of our measurements with its like-for-like PyTorch run and checks it against issue 9's
targets: a training step at least 1.2x PyTorch eager's speed (ours / PyTorch time <= 1/1.2) and a peak of at most
4.08 GB (MMDetection's figure at 2 images per GPU). Rows whose files are missing are left out.

When OUT_DIR holds gpu_session.log, a second table lists every step: its exit status, seconds and the line that
says how it went (the ops' case count, the worst relative difference of a parity check).

Usage: gpu_summary.py OUT_DIR   (the folder gpu_session.sh wrote, $OUT). Standard library only.
"""
import json
import os
import re
import sys

SPEED_TARGET = 1.2        # ours must be this many times faster than PyTorch eager (training step)
PEAK_TARGET_MB = 4.08e3   # MMDetection's 4.08 GB at 2 images per GPU, read as 4,080 MB (the stricter reading)

# (label, ours, PyTorch, is the training step)
ROWS = [
    ("training step 2x3x800x1216, heuristics (3a vs 4b)", "ours_r50_train.json", "torch_r50_train_heuristics.json", True),
    ("training step 2x3x800x1216, timed algorithms (7a vs 4)", "ours_r50_train_find.json", "torch_r50_train.json", True),
    ("training step, ours heuristics vs PyTorch benchmark (3a vs 4)", "ours_r50_train.json", "torch_r50_train.json", True),
    ("inference 1x3x800x1216 (3b vs 4)", "ours_r50_infer.json", "torch_r50_infer.json", False),
    ("inference, timed algorithms (7b vs 4)", "ours_r50_infer_find.json", "torch_r50_infer.json", False),
    ("inference, host post-processing (3d vs 4)", "ours_r50_infer_hostpp.json", "torch_r50_infer.json", False),
]


def load(folder, name):
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("gpu_summary: %s: unreadable (%s)" % (path, e), file=sys.stderr)
        return None


def verdict(ratio, peak_mb, train):
    if not train:
        return ""
    speed = "speed PASS" if ratio <= 1.0 / SPEED_TARGET else "speed MISS"
    peak = "peak PASS" if peak_mb <= PEAK_TARGET_MB else "peak MISS"
    return "%s, %s" % (speed, peak)


STEP_END = re.compile(r"^=== (\S+) (.*?): (exit (\d+) after (\d+) s|SKIPPED.*)$")
STEP_DETAIL = re.compile(r"^(worst relative difference .*|ALL \d+ CASES OK|\d+ OF \d+ CASES FAILED|NCCL self-check: .*|"
                         r"\S+ +\d+x\d+ +batch \d+ .*median .*|bbox_mAP_copypaste: .*|Overall fps: .*|Exception in thread \S+ .{0,150})")


def steps_table(log_path):
    """Markdown rows per step of gpu_session.log: id, title, result, seconds, detail (the last telling line)."""
    rows, detail = [], ""
    with open(log_path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("=== ") and STEP_END.match(line) is None:
                detail = ""  # a step's title line: its details follow
            m = STEP_DETAIL.match(line)
            if m:
                detail = re.sub(r" +", " ", m.group(1))
            m = STEP_END.match(line)
            if m:
                if m.group(4) is None:
                    result, secs = "skipped", ""
                else:
                    result, secs = ("ok" if m.group(4) == "0" else "FAILED (exit %s)" % m.group(4)), m.group(5)
                rows.append("| %s | %s | %s | %s | %s |" % (m.group(1), m.group(2), result, secs, detail.replace("|", "/")))
                detail = ""
    return rows


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    folder = argv[1]
    lines = ["| case | ours | PyTorch eager | ours / PyTorch time | our peak | PyTorch peak | issue 9 targets |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, ours_file, torch_file, train in ROWS:
        ours, torch = load(folder, ours_file), load(folder, torch_file)
        if ours is None or torch is None:
            continue
        o, t = float(ours["median_ms"]), float(torch["median_ms"])
        ratio = o / t if t > 0 else float("inf")
        lines.append("| %s | %.1f ms | %.1f ms | %.2f | %d MB | %.0f MB | %s |" % (
            label, o, t, ratio, int(ours["peak_mem_mb"]), float(torch.get("peak_mem_mb", 0)), verdict(ratio, ours["peak_mem_mb"], train)))
    log = os.path.join(folder, "gpu_session.log")
    steps = steps_table(log) if os.path.isfile(log) else []
    if steps:
        print("| step | title | result | s | detail |\n| --- | --- | --- | --- | --- |")
        print("\n".join(steps))
        print()
    if len(lines) == 2:
        print("gpu_summary: no pair of result files in %s" % folder)
        return 1
    print("\n".join(lines))
    print("\ntargets: training step ours / PyTorch <= %.3f (>= %.1fx the speed), peak <= %.0f MB"
          % (1.0 / SPEED_TARGET, SPEED_TARGET, PEAK_TARGET_MB))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
