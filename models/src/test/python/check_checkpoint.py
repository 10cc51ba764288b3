#!/usr/bin/env python3
"""Loads a kr-written checkpoint into the equivalent PyTorch module and compares logits.

usage: check_checkpoint.py WEIGHTS.safetensors IO.safetensors

WEIGHTS is a kr weights file (e.g. runs/demo/checkpoints/best.safetensors) of the demo network
kr.train.DemoCnn; IO holds "input" [N, C, H, W] and the "logits" [N, classes] kr computed for it
in eval mode (`kr eval --dump-logits IO`, or the Java test CheckpointPytorchTest). The
safetensors format is parsed by hand (8-byte little-endian header length, JSON header, raw
little-endian data), so only torch and numpy are needed. Exit status 0 when the logits agree.
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[h["dtype"]]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(arr.astype(np.float32).reshape(h["shape"]).copy())
    return tensors, meta


class DemoCnn(nn.Module):
    """PyTorch twin of kr.train.DemoCnn (same layer names, so kr's state dict loads as is)."""

    def __init__(self, cin, c1, c2, c3, classes):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, c1, 3, 1, 1, bias=False), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 3, 1, 1, bias=False), nn.BatchNorm2d(c2)
        self.conv3, self.bn3 = nn.Conv2d(c2, c3, 3, 1, 1, bias=False), nn.BatchNorm2d(c3)
        self.fc = nn.Linear(c3, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2, 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2, 2)
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main(weights_path, io_path):
    sd, meta = read_safetensors(weights_path)
    io, io_meta = read_safetensors(io_path)
    c1, cin = sd["conv1.weight"].shape[:2]
    c2, c3, classes = sd["conv2.weight"].shape[0], sd["conv3.weight"].shape[0], sd["fc.weight"].shape[0]
    net = DemoCnn(cin, c1, c2, c3, classes)
    missing, unexpected = net.load_state_dict(sd, strict=False)
    # kr's BatchNorm2d keeps no num_batches_tracked counter (used only when momentum=None)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    print(f"checkpoint   {weights_path}")
    print(f"metadata     {json.dumps(meta, sort_keys=True)}")
    print(f"model        DemoCnn(in={cin}, {c1}, {c2}, {c3}, classes={classes}); {len(sd)} tensors, "
          f"{sum(p.numel() for p in net.parameters())} parameters")
    print(f"torch        {torch.__version__}")
    if missing or unexpected:
        print(f"FAIL: missing {missing}, unexpected {unexpected}")
        return 1
    net.eval()
    x, kr_logits = io["input"], io["logits"]
    with torch.no_grad():
        torch_logits = net(x)
    diff = (torch_logits - kr_logits).abs()
    scale = kr_logits.abs().max().item()
    agree = (torch_logits.argmax(1) == kr_logits.argmax(1)).float().mean().item()
    print(f"input        {list(x.shape)}; logits {list(kr_logits.shape)}, max |logit| {scale:.4f}")
    print(f"max |torch - kr| {diff.max().item():.3e}, mean {diff.mean().item():.3e}; argmax agreement {100 * agree:.1f}%")
    for i in range(min(2, x.shape[0])):
        print(f"  row {i} kr    " + " ".join(f"{v:8.4f}" for v in kr_logits[i].tolist()))
        print(f"  row {i} torch " + " ".join(f"{v:8.4f}" for v in torch_logits[i].tolist()))
    if "labels" in io_meta:  # kr eval --dump-logits stores the labels: compare accuracies too
        labels = torch.tensor(json.loads(io_meta["labels"]))
        acc_kr = (kr_logits.argmax(1) == labels).float().mean().item()
        acc_torch = (torch_logits.argmax(1) == labels).float().mean().item()
        print(f"accuracy on these {len(labels)} images: kr {100 * acc_kr:.2f}%, torch {100 * acc_torch:.2f}%")
    ok = diff.max().item() <= 1e-4 * max(1.0, scale) and agree == 1.0
    print("OK: PyTorch reproduces kr's logits" if ok else "FAIL: logits differ")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
