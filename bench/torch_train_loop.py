#!/usr/bin/python3
"""PyTorch's side of the epoch comparison in bench/compare.py: the loop `kr train` runs, in PyTorch (CPU).

Usage:
    java -cp bench/target/benchmarks.jar kr.bench.ExportSubset /work/data/cifar10 5000 1000 0 /tmp/c5k
    /usr/bin/python3 bench/torch_train_loop.py --data /tmp/c5k --epochs 2 --threads 2 --json /tmp/torch.jsonl

Reads DIR/train.bin and DIR/test.bin (CIFAR-10 binary records: 1 label byte, then the R, G, B planes
of a 32x32 image), which kr.bench.ExportSubset writes with exactly the images that
`kr train --data SRC --limit-train N --limit-test M --seed S` uses, decoded by kr's reader.

Same recipe as kr train's defaults: RepDistiller's CIFAR ResNet (kaiming-normal fan-out conv weights,
1x1 conv + BN projection shortcuts), per-epoch reshuffle, 4-pixel zero-padded random crop and
horizontal flip (crop then mirror), CIFAR-10 mean/std normalisation, cross-entropy, SGD with momentum
0.9, weight decay 5e-4 and a constant learning rate 0.05, the last partial batch kept. Each step reads
the loss (`loss.item()`) and counts correct predictions, as kr's trainer does.

images_per_second is measured like kr's metrics.jsonl: images of the epoch / the summed wall time of its
steps (batch assembly + augmentation + forward + backward + SGD); the test pass after each epoch is
not included. Batches are assembled on the training thread (kr's loader uses one worker thread ahead);
that costs about a millisecond per batch of 128, under 1% of a step here.

One JSON line per epoch on stdout (and in --json): epoch, images_per_second, train_loss, train_acc,
test_acc, train_seconds.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # kr.data.Loader.CIFAR10_MEAN / CIFAR10_STD
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


class _Block(torch.nn.Module):
    """RepDistiller's CIFAR BasicBlock (1x1 conv + BN projection when the shape changes)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class CifarResNet(torch.nn.Module):
    """RepDistiller's resnet{depth} (models/resnet.py): depth 6n+2, stages of n blocks at 16, 32, 64 channels."""

    def __init__(self, depth, classes=10):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2 (8, 14, 20, ...), got {depth}")
        n = (depth - 2) // 6
        self.conv1, self.bn1 = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(_Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = torch.nn.Sequential(*layers)
        self.fc = torch.nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, torch.nn.BatchNorm2d):
                torch.nn.init.ones_(m.weight)
                torch.nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(F.avg_pool2d(x, 8).flatten(1))


def read_records(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % 3073:
        sys.exit(f"{path}: {raw.size} bytes is not a whole number of 3073-byte CIFAR records")
    raw = raw.reshape(-1, 3073)
    return raw[:, 1:].reshape(-1, 3, 32, 32).copy(), raw[:, 0].astype(np.int64)


class Batches:
    """Shuffled, augmented, normalised batches (the last partial batch kept), like kr's Loader."""

    def __init__(self, images, labels, batch, augment, seed):
        self.pad = np.pad(images, ((0, 0), (0, 0), (4, 4), (4, 4))) if augment else None  # zero pixels, as kr
        self.images, self.labels, self.batch, self.augment = images, labels, batch, augment
        self.rng = np.random.default_rng(seed)
        self.mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1) * 255
        n = len(labels)
        self.steps = (n + batch - 1) // batch

    def epoch(self, shuffle=True):
        n = len(self.labels)
        order = self.rng.permutation(n) if shuffle else np.arange(n)
        for s in range(self.steps):
            idx = order[s * self.batch:(s + 1) * self.batch]
            if self.augment:
                dy = self.rng.integers(0, 9, len(idx))
                dx = self.rng.integers(0, 9, len(idx))
                flip = self.rng.random(len(idx)) < 0.5
                rows = dy[:, None] + np.arange(32)[None, :]  # [b, 32]
                cols = dx[:, None] + np.arange(32)[None, :]
                cols = np.where(flip[:, None], cols[:, ::-1], cols)  # crop, then mirror the crop
                x = self.pad[idx[:, None, None, None], np.arange(3)[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]
            else:
                x = self.images[idx]
            x = (torch.from_numpy(np.ascontiguousarray(x)).float() - self.mean) / self.std
            yield x, torch.from_numpy(self.labels[idx])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with train.bin and test.bin (kr.bench.ExportSubset)")
    ap.add_argument("--model-depth", type=int, default=20, help="CIFAR ResNet depth (default 20: resnet20)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--eval-batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("KR_THREADS", os.cpu_count() or 1)))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also append the per-epoch JSON lines to this file")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = read_records(os.path.join(args.data, "train.bin"))
    xte, yte = read_records(os.path.join(args.data, "test.bin"))
    train = Batches(xtr, ytr, args.batch_size, True, args.seed)
    test = Batches(xte, yte, args.eval_batch_size, False, args.seed)
    net = CifarResNet(args.model_depth)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.wd)
    out = open(args.json, "a") if args.json else None
    for epoch in range(1, args.epochs + 1):
        net.train()
        seen = correct = 0
        loss_sum = seconds = 0.0
        it = train.epoch()
        while True:
            t0 = time.perf_counter()
            try:
                x, y = next(it)
            except StopIteration:
                break
            opt.zero_grad()
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            loss_value = loss.item()
            loss.backward()
            opt.step()
            correct += int((logits.argmax(1) == y).sum())
            seconds += time.perf_counter() - t0
            seen += len(y)
            loss_sum += loss_value * len(y)
        net.eval()
        test_correct = 0
        with torch.no_grad():
            for x, y in test.epoch(shuffle=False):
                test_correct += int((net(x).argmax(1) == y).sum())
        rec = {"epoch": epoch, "images_per_second": seen / seconds, "train_loss": loss_sum / seen, "train_acc": correct / seen,
               "test_acc": test_correct / len(yte), "train_seconds": seconds, "threads": torch.get_num_threads()}
        line = json.dumps(rec)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()


if __name__ == "__main__":
    main()
