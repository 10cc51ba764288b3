#!/usr/bin/env python3
"""Reference facts about RepDistiller's CIFAR networks, computed with PyTorch.

The networks below are re-stated in PyTorch from RepDistiller's models/ (resnet.py, resnetv2.py,
wrn.py, vgg.py, mobilenetv2.py): same module names, shapes and forward order. The script writes

  models/src/test/resources/param_counts.json
      per model and class count (10, 100): parameter count, multiply-accumulates per 32x32 image
      (conv + linear, counted by forward hooks) and the state-dict keys with shapes
      (num_batches_tracked included: kr's BatchNorm2d keeps it too);
  models/src/test/resources/golden/<model>.safetensors
      10 classes: weights (F16, so the files stay small; the reference ran on the same rounded
      values), random running statistics, an input [2, 3, 32, 32], and the logits in eval and in
      train mode (float64 forward), plus RepDistiller's features.

Run from the repository root:  /usr/bin/python3 models/src/test/python/param_counts.py
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.normpath(os.path.join(HERE, '..', 'resources'))


def resnet_forward(net, x, layers, fc):
    """Stem, stages of blocks returning (out, preact), pooling, classifier; RepDistiller's feature lists."""
    x = F.relu(net.bn1(net.conv1(x)))
    feats, pre = [x], [x]
    for layer in layers:
        for blk in layer:
            x, p = blk(x)
        feats.append(x)
        pre.append(p)
    x = net.avgpool(x).flatten(1)
    feats.append(x)
    pre.append(x)
    return feats, pre, fc(x)


# ---------------------------------------------------------------- resnet.py (CIFAR ResNets)
class CifarBlock(nn.Module):
    def __init__(self, cin, cout, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + (x if self.downsample is None else self.downsample(x))
        return F.relu(out), out


class CifarResNet(nn.Module):
    def __init__(self, depth, widths, num_classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        cin = widths[0]
        for i, stride in enumerate([1, 2, 2]):
            blocks = []
            for b in range(n):
                s = stride if b == 0 else 1
                cout = widths[i + 1]
                ds = None
                if s != 1 or cin != cout:
                    ds = nn.Sequential(nn.Conv2d(cin, cout, 1, s, bias=False), nn.BatchNorm2d(cout))
                blocks.append(CifarBlock(cin, cout, s, ds))
                cin = cout
            setattr(self, 'layer%d' % (i + 1), nn.Sequential(*blocks))
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        return resnet_forward(self, x, [self.layer1, self.layer2, self.layer3], self.fc)


# ---------------------------------------------------------------- resnetv2.py (ResNet18/34)
class V2Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out)) + self.shortcut(x)
        return F.relu(out), out


class ResNetV2(nn.Module):
    def __init__(self, nblocks, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, (planes, stride) in enumerate(zip([64, 128, 256, 512], [1, 2, 2, 2])):
            blocks = []
            for b in range(nblocks[i]):
                blocks.append(V2Block(cin, planes, stride if b == 0 else 1))
                cin = planes
            setattr(self, 'layer%d' % (i + 1), nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(512, num_classes)

    def forward(self, x):
        return resnet_forward(self, x, [self.layer1, self.layer2, self.layer3, self.layer4], self.linear)


# ---------------------------------------------------------------- wrn.py
class WrnBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.equal = cin == cout
        self.convShortcut = None if self.equal else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        out = F.relu(self.bn2(self.conv1(a)))
        out = self.conv2(out)
        return (x if self.equal else self.convShortcut(a)) + out


class WrnGroup(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WrnBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, widen, num_classes):
        super().__init__()
        ch = [16, 16 * widen, 32 * widen, 64 * widen]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.block1 = WrnGroup(n, ch[0], ch[1], 1)
        self.block2 = WrnGroup(n, ch[1], ch[2], 2)
        self.block3 = WrnGroup(n, ch[2], ch[3], 2)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.relu = nn.ReLU()
        self.fc = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        f0 = self.conv1(x)
        f1 = self.block1(f0)
        f2 = self.block2(f1)
        f3 = self.block3(f2)
        out = F.avg_pool2d(F.relu(self.bn1(f3)), 8).flatten(1)
        logits = self.fc(out)
        # preact features: the next BN applied to f1..f3 (RepDistiller calls those BN modules)
        pre = [f0, self.block2.layer[0].bn1(f1), self.block3.layer[0].bn1(f2), self.bn1(f3), out]
        return [f0, f1, f2, f3, out], pre, logits


# ---------------------------------------------------------------- vgg.py (with batch norm)
VGG_CFG = {
    'vgg8': [[64], [128], [256], [512], [512]],
    'vgg11': [[64], [128], [256, 256], [512, 512], [512, 512]],
    'vgg13': [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    'vgg16': [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    'vgg19': [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
}


class VGG(nn.Module):
    def __init__(self, cfg, num_classes):
        super().__init__()
        cin = 3
        for i, stage in enumerate(cfg):
            layers = []
            for v in stage:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                cin = v
            setattr(self, 'block%d' % i, nn.Sequential(*layers[:-1]))
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        h = x.shape[2]
        x = F.relu(self.block0(x))
        feats, pre = [x], [x]
        x = F.max_pool2d(x, 2, 2)
        for i, blk in enumerate([self.block1, self.block2, self.block3, self.block4]):
            p = blk(x)
            x = F.relu(p)
            feats.append(x)
            pre.append(p)
            if i < 2 or (i == 2 and h == 64):
                x = F.max_pool2d(x, 2, 2)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        feats.append(x)
        pre.append(x)
        return feats, pre, self.classifier(x)


# ---------------------------------------------------------------- mobilenetv2.py
class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hid = cin * t
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hid, 1, 1, 0, bias=False), nn.BatchNorm2d(hid), nn.ReLU(),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU(),
            nn.Conv2d(hid, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, t, width, num_classes):
        super().__init__()
        setting = [[1, 16, 1, 1], [t, 24, 2, 1], [t, 32, 3, 2], [t, 64, 4, 2], [t, 96, 3, 1], [t, 160, 3, 2], [t, 320, 1, 1]]
        cin = int(32 * width)
        self.conv1 = nn.Sequential(nn.Conv2d(3, cin, 3, 2, 1, bias=False), nn.BatchNorm2d(cin), nn.ReLU())
        self.blocks = nn.ModuleList()
        for tt, c, n, s in setting:
            cout = int(c * width)
            layers = []
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, tt))
                cin = cout
            self.blocks.append(nn.Sequential(*layers))
        last = int(1280 * width) if width > 1.0 else 1280
        self.conv2 = nn.Sequential(nn.Conv2d(cin, last, 1, 1, 0, bias=False), nn.BatchNorm2d(last), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(last, num_classes))

    def forward(self, x):
        x = self.conv1(x)
        feats = [x]
        for i, b in enumerate(self.blocks):
            x = b(x)
            if i in (1, 2, 4, 6):
                feats.append(x)
        x = self.conv2(x)
        x = F.avg_pool2d(x, 2, ceil_mode=True).flatten(1)
        feats.append(x)
        return feats, feats, self.classifier(x)


def build(name, num_classes):
    resnets = {'resnet8': 8, 'resnet14': 14, 'resnet20': 20, 'resnet32': 32, 'resnet44': 44, 'resnet56': 56, 'resnet110': 110}
    if name in resnets:
        return CifarResNet(resnets[name], [16, 16, 32, 64], num_classes)
    if name == 'resnet8x4':
        return CifarResNet(8, [32, 64, 128, 256], num_classes)
    if name == 'resnet32x4':
        return CifarResNet(32, [32, 64, 128, 256], num_classes)
    if name.startswith('wrn_'):
        _, d, w = name.split('_')
        return WideResNet(int(d), int(w), num_classes)
    if name in VGG_CFG:
        return VGG(VGG_CFG[name], num_classes)
    if name == 'ResNet18':
        return ResNetV2([2, 2, 2, 2], num_classes)
    if name == 'ResNet34':
        return ResNetV2([3, 4, 6, 3], num_classes)
    if name == 'MobileNetV2':  # RepDistiller's model_dict maps this name to mobile_half
        return MobileNetV2(6, 0.5, num_classes)
    if name == 'mobile_full':
        return MobileNetV2(6, 1.0, num_classes)
    raise ValueError(name)


NAMES = ['resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'resnet8x4', 'resnet32x4',
         'wrn_16_1', 'wrn_16_2', 'wrn_40_1', 'wrn_40_2', 'vgg8', 'vgg11', 'vgg13', 'vgg16', 'vgg19', 'ResNet18', 'ResNet34',
         'MobileNetV2', 'mobile_full']


def count_macs(model):
    macs = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            macs[0] += out.numel() * m.in_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    for h in hs:
        h.remove()
    return macs[0]


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {'__metadata__': metadata}, [], 0
    for k, (t, dtype) in tensors.items():
        t = t.detach().contiguous()
        if dtype == 'F16':
            raw = t.to(torch.float16).numpy().tobytes()
        elif dtype == 'F32':
            raw = t.to(torch.float32).numpy().tobytes()
        else:
            raw = t.to(torch.float64).numpy().tobytes()
        header[k] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def channel_means(f):
    # [N, C, H, W] -> [N, C]: small enough to commit, still sensitive to every value
    return f.mean(dim=(2, 3)) if f.dim() == 4 else f


def golden(name, seed):
    torch.manual_seed(seed)
    net = build(name, 10)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):  # away from the 1/0 start so the eval path matters
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(0, (2.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.uniform_(-0.2, 0.2)
        for k, v in net.state_dict().items():
            if v.is_floating_point():
                v.copy_(v.to(torch.float16).to(v.dtype))  # the file stores F16: compute with exactly those values
    x = torch.randn(2, 3, 32, 32).to(torch.float16).to(torch.float32)
    tensors = {k: (v, 'F16') for k, v in net.state_dict().items() if not k.endswith('num_batches_tracked')}
    tensors['input'] = (x, 'F16')
    net = net.double()
    for mode in ('eval', 'train'):
        net.train(mode == 'train')
        with torch.no_grad():
            feats, pre, logits = net(x.double())
        tensors['logits_' + mode] = (logits, 'F64')
        for i in range(len(feats)):
            tensors['feat_%s.%d' % (mode, i)] = (channel_means(feats[i]), 'F64')
            tensors['preact_%s.%d' % (mode, i)] = (channel_means(pre[i]), 'F64')
    os.makedirs(os.path.join(RES, 'golden'), exist_ok=True)
    write_safetensors(os.path.join(RES, 'golden', name + '.safetensors'), tensors,
                      {'model': name, 'classes': '10', 'torch': torch.__version__})


def compact_json(v, indent=0):
    # one line per state-dict entry or feature shape: readable diffs without a line per number
    pad = ' ' * indent
    if isinstance(v, dict):
        items = ['%s %s: %s' % (pad, json.dumps(k), compact_json(x, indent + 1)) for k, x in v.items()]
        return '{\n' + ',\n'.join(items) + '\n' + pad + '}'
    if isinstance(v, list) and v and isinstance(v[0], list):
        return '[\n' + ',\n'.join(pad + '  ' + json.dumps(x) for x in v) + '\n' + pad + ']'
    return json.dumps(v)


def main():
    out = {'_about': 'RepDistiller CIFAR networks in PyTorch ' + torch.__version__
                     + ': parameter counts, MACs per 32x32 image (conv+linear) and state-dict shapes, by param_counts.py',
           'models': {}}
    for name in NAMES:
        entry = {}
        for classes in (10, 100):
            net = build(name, classes)
            sd = {k: list(v.shape) for k, v in net.state_dict().items()}
            net.eval()
            with torch.no_grad():
                feats, pre, _ = net(torch.zeros(2, 3, 32, 32))
            entry[str(classes)] = {
                'features': [list(f.shape) for f in feats],
                'params': sum(p.numel() for p in net.parameters()),
                'macs': count_macs(net),
                'state_dict': [[k, s] for k, s in sd.items()],
            }
        out['models'][name] = entry
        print('%-12s %10d %10d  %12d' % (name, entry['10']['params'], entry['100']['params'], entry['100']['macs']))
    os.makedirs(RES, exist_ok=True)
    with open(os.path.join(RES, 'param_counts.json'), 'w') as f:
        f.write(compact_json(out) + '\n')
    for i, name in enumerate(['resnet8', 'wrn_16_1', 'MobileNetV2']):
        golden(name, 1000 + i)


if __name__ == '__main__':
    main()
