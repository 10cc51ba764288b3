#!/usr/bin/python3
"""Regenerates the PyTorch golden files that kr's conformance tests compare against.

Run from anywhere:  /usr/bin/python3 engine/src/test/python/make_golden.py
Needs torch (written against 1.13, CPU) and numpy; writes safetensors by hand (no extra package).

Each case family goes to engine/src/test/resources/golden/<family>.safetensors. Tensor names:
  <case>/in/<k>     float32 inputs that require grad
  <case>/const/<k>  float32 inputs that do not (labels as floats, masks, running statistics)
  <case>/w          float32 output weighting: the backward seed is d(sum(w * y))/dy = w
  <case>/out, <case>/grad/<k>, <case>/extra/<k>      torch float32 results on those inputs
  <case>/out64, <case>/grad64/<k>, <case>/extra64/<k> torch float64 results on the same values
Optimizer and conv-net results are named like <case>/step0/p0 (float32) and <case>/f64/step0/p0.
The header's __metadata__ maps each case name to a JSON string {"op": ..., args...}, which the Java
test reads, so this script is the single place where a case is defined.
Inputs are drawn from a numpy generator seeded by the case name, so the files are reproducible.
"""
import json
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, '..', 'resources', 'golden'))
torch.set_num_threads(1)  # reproducible float32 reductions


def write_safetensors(path, tensors, metadata):
    """8-byte LE header length, JSON header padded with spaces to 8 bytes, raw LE data."""
    header = {'__metadata__': metadata}
    blobs, off = [], 0
    for name, arr in tensors.items():
        arr = np.array(arr, order='C')  # (np.ascontiguousarray would turn 0-d into 1-d)
        dt = {np.dtype('float32'): 'F32', np.dtype('float64'): 'F64'}[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': dt, 'shape': list(arr.shape), 'data_offsets': [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    js = json.dumps(header, separators=(',', ':')).encode('utf-8')
    js += b' ' * ((8 - len(js) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode('utf-8')))


def np32(t):
    return t.detach().to(torch.float32).numpy().copy()


def np64(t):
    return t.detach().to(torch.float64).numpy().copy()


# ---------------------------------------------------------------- torch side of every op

def pre_transpose(inp, a):
    """Optional arg 'transpose': inputs whose last two dims are swapped first (strided operands)."""
    for k in a.get('transpose', []):
        inp[k] = inp[k].transpose(-1, -2)


def view_chain(x, steps):
    for s in steps:
        op, args = s[0], s[1:]
        if op == 'reshape':
            x = x.reshape(args[0])
        elif op == 'permute':
            x = x.permute(args[0])
        elif op == 'expand':
            x = x.expand(args[0])
        elif op == 'narrow':
            x = x.narrow(*args)
        elif op == 'slice':
            d, start, end, step = args
            x = x[(slice(None),) * d + (slice(start, end, step),)]
        elif op == 'transpose':
            x = x.transpose(*args)
        elif op == 'unsqueeze':
            x = x.unsqueeze(args[0])
        elif op == 'squeeze':
            x = x.squeeze(args[0])
        elif op == 'select':
            x = x.select(*args)
        elif op == 'flatten':
            x = x.flatten(args[0])
        elif op == 'contiguous':
            x = x.contiguous()
        elif op in UNARY:
            x = UNARY[op](x)
        else:
            raise ValueError('unknown chain step ' + op)
    return x


UNARY = {
    'neg': torch.neg, 'exp': torch.exp, 'log': torch.log, 'sqrt': torch.sqrt, 'abs': torch.abs,
    'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh, 'sign': torch.sign,
}


def reduce_op(x, a):
    fn, dims, keep = a['fn'], a.get('dims'), a.get('keepdim', False)
    if fn == 'sum':
        return x.sum() if dims is None else x.sum(dim=dims, keepdim=keep)
    if fn == 'mean':
        return x.mean() if dims is None else x.mean(dim=dims, keepdim=keep)
    if fn == 'amax':
        return torch.amax(x) if dims is None else torch.amax(x, dim=dims, keepdim=keep)
    if fn == 'amin':
        return torch.amin(x, dim=dims, keepdim=keep)
    if fn == 'var':
        return torch.var(x, dim=dims, unbiased=a['unbiased'], keepdim=keep)
    if fn == 'std':
        return torch.std(x, dim=dims, unbiased=a['unbiased'], keepdim=keep)
    raise ValueError(fn)


def op_batch_norm(i, c, a):
    rm, rv = c['running_mean'].clone(), c['running_var'].clone()
    y = F.batch_norm(i['x'], rm, rv, i['weight'], i['bias'], training=a['training'], momentum=a['momentum'], eps=a['eps'])
    return y, ({'running_mean': rm, 'running_var': rv} if a['training'] else {})


def op_cross_entropy(i, c, a):
    return F.cross_entropy(i['logits'], c['labels'].long(), label_smoothing=a['label_smoothing'])


def op_kl_distill(i, c, a):
    t = a['T']
    return F.kl_div(F.log_softmax(i['student'] / t, 1), F.softmax(i['teacher'] / t, 1), reduction='batchmean') * t * t


def ordered(i):
    return [i[k] for k in sorted(i)]


OPS = {
    'unary': lambda i, c, a: UNARY[a['fn']](i['x']),
    'pow': lambda i, c, a: i['x'].pow(a['p']),
    'clamp': lambda i, c, a: torch.clamp(i['x'], a['lo'], a['hi']),
    'binary': lambda i, c, a: getattr(torch, a['fn'])(i['a'], i['b']),
    'binary_scalar': lambda i, c, a: getattr(torch, a['fn'])(i['a'], torch.tensor(a['c'], dtype=i['a'].dtype)),
    'compare': lambda i, c, a: getattr(torch, a['fn'])(c['a'], c['b']).to(c['a'].dtype),
    'where': lambda i, c, a: torch.where(c['cond'] != 0, i['a'], i['b']),
    'reduce': lambda i, c, a: reduce_op(i['x'], a),
    'argmax': lambda i, c, a: (torch.argmax(c['x']) if a.get('dim') is None
                               else torch.argmax(c['x'], dim=a['dim'], keepdim=a['keepdim'])).to(c['x'].dtype),
    'matmul': lambda i, c, a: torch.matmul(i['a'], i['b']),
    'conv2d': lambda i, c, a: F.conv2d(i['x'], i['w'], i.get('b'), stride=a['stride'], padding=a['padding'],
                                       dilation=a['dilation'], groups=a['groups']),
    'max_pool2d': lambda i, c, a: F.max_pool2d(i['x'], a['kernel'], a['stride'], a['padding'], ceil_mode=a['ceil_mode']),
    'avg_pool2d': lambda i, c, a: F.avg_pool2d(i['x'], a['kernel'], a['stride'], a['padding'], ceil_mode=a['ceil_mode'],
                                               count_include_pad=a['count_include_pad']),
    'adaptive_avg_pool2d': lambda i, c, a: F.adaptive_avg_pool2d(i['x'], a['out']),
    'batch_norm': op_batch_norm,
    'log_softmax': lambda i, c, a: F.log_softmax(i['x'], a['dim']),
    'softmax': lambda i, c, a: F.softmax(i['x'], a['dim']),
    'cat': lambda i, c, a: torch.cat(ordered(i), a['dim']),
    'stack': lambda i, c, a: torch.stack(ordered(i), a['dim']),
    'pad': lambda i, c, a: F.pad(i['x'], a['pads'], mode='constant', value=a['value']),
    'cast': lambda i, c, a: (i['x'] * a['scale']).to(torch.float64).to(torch.float32).to(i['x'].dtype),
    'chain': lambda i, c, a: view_chain(i['x'], a['steps']),
    'linear': lambda i, c, a: F.linear(i['x'], i['w'], i.get('b')),
    'dropout': lambda i, c, a: F.dropout(i['x'], a['p'], a['training']),
    'cross_entropy': op_cross_entropy,
    'cross_entropy_soft': lambda i, c, a: F.cross_entropy(i['logits'], c['target']),
    'kl_distill': op_kl_distill,
    'mse': lambda i, c, a: F.mse_loss(i['a'], i['b']),
    'l1': lambda i, c, a: F.l1_loss(i['a'], i['b']),
}


class Family:
    def __init__(self, name):
        self.name, self.tensors, self.meta = name, {}, {}

    def put(self, key, arr):
        assert key not in self.tensors, key
        self.tensors[key] = arr

    def case(self, name, op, args, inputs, consts=None):
        """inputs/consts: name -> float32 numpy array. Runs the case in float32 and float64."""
        consts = consts or {}
        assert name not in self.meta, name
        self.meta[name] = json.dumps(dict(op=op, **args), separators=(',', ':'))
        for k, v in inputs.items():
            self.put(f'{name}/in/{k}', v.astype(np.float32))
        for k, v in consts.items():
            self.put(f'{name}/const/{k}', v.astype(np.float32))
        wt = None
        for dtype, sfx, conv in ((torch.float32, '', np32), (torch.float64, '64', np64)):
            i = {k: torch.from_numpy(v.astype(np.float32)).to(dtype).requires_grad_(True) for k, v in inputs.items()}
            c = {k: torch.from_numpy(v.astype(np.float32)).to(dtype) for k, v in consts.items()}
            leaves = dict(i)
            pre_transpose(i, args)
            r = OPS[op](i, c, args)
            y, extras = r if isinstance(r, tuple) else (r, {})
            self.put(f'{name}/out{sfx}', conv(y))
            for k, v in extras.items():
                self.put(f'{name}/extra{sfx}/{k}', conv(v))
            if y.requires_grad:
                if wt is None:
                    wt = rng_for(name + '/w').standard_normal(tuple(y.shape)).astype(np.float32)
                    self.put(f'{name}/w', wt)
                (y * torch.from_numpy(wt).to(dtype)).sum().backward()
                for k, leaf in leaves.items():
                    g = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
                    self.put(f'{name}/grad{sfx}/{k}', conv(g))

    def write(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        path = os.path.join(OUT_DIR, self.name + '.safetensors')
        write_safetensors(path, self.tensors, self.meta)
        print(f'{path}: {len(self.meta)} cases, {os.path.getsize(path)} bytes')


# ---------------------------------------------------------------- input makers

def normal(name, *shape, scale=1.0):
    return np.asarray(rng_for(name).standard_normal(shape) * scale, dtype=np.float32)


def positive(name, *shape, lo=0.5, hi=2.0):
    return np.asarray(rng_for(name).uniform(lo, hi, shape), dtype=np.float32)


def away_from_zero(name, *shape):
    r = rng_for(name)
    return np.asarray(r.choice([-1.0, 1.0], shape) * r.uniform(0.5, 2.0, shape), dtype=np.float32)


def halves(name, *shape):
    """Multiples of 0.5 in [-1.5, 1.5], so comparisons see exact ties."""
    return np.asarray(rng_for(name).integers(-3, 4, shape) / 2.0, dtype=np.float32)


# ---------------------------------------------------------------- primitives

def primitives():
    fam = Family('primitives')
    c = fam.case
    for fn in ['neg', 'exp', 'abs', 'relu', 'sigmoid', 'tanh', 'sign']:
        c(f'unary_{fn}', 'unary', {'fn': fn}, {'x': normal(f'unary_{fn}', 3, 5)})
    for fn in ['log', 'sqrt']:
        c(f'unary_{fn}', 'unary', {'fn': fn}, {'x': positive(f'unary_{fn}', 3, 5, lo=0.1, hi=3.0)})
    for fn in ['sigmoid', 'tanh', 'exp']:  # saturating and large magnitudes
        c(f'unary_{fn}_wide', 'unary', {'fn': fn}, {'x': normal(f'unary_{fn}_wide', 4, 6, scale=12.0)})
    c('unary_exp_strided', 'unary', {'fn': 'exp', 'transpose': ['x']}, {'x': normal('unary_exp_strided', 2, 4, 3)})
    c('unary_tanh_strided', 'unary', {'fn': 'tanh', 'transpose': ['x']}, {'x': normal('unary_tanh_strided', 5, 7)})

    for tag, p, pos in [('2', 2.0, False), ('3', 3.0, False), ('half', 0.5, True), ('m1_5', -1.5, True), ('2_7', 2.7, True),
                        ('m2', -2.0, False)]:
        n = f'pow_{tag}'
        x = positive(n, 4, 5) if pos else away_from_zero(n, 4, 5)
        c(n, 'pow', {'p': p}, {'x': x})

    shapes = [('same', (3, 4), (3, 4)), ('bcast_col', (2, 3, 4), (3, 1)), ('bcast_row', (2, 3, 4), (4,)),
              ('bcast_both', (2, 1, 4), (3, 1)), ('scalar_t', (3, 4), ())]
    for fn in ['add', 'sub', 'mul', 'div', 'maximum', 'minimum']:
        for tag, sa, sb in shapes:
            n = f'{fn}_{tag}'
            b = away_from_zero(n + 'b', *sb) if fn == 'div' else normal(n + 'b', *sb)
            c(n, 'binary', {'fn': fn}, {'a': normal(n + 'a', *sa), 'b': b})
        n = f'{fn}_strided'
        b = away_from_zero(n + 'b', 3, 4) if fn == 'div' else normal(n + 'b', 3, 4)
        c(n, 'binary', {'fn': fn, 'transpose': ['a']}, {'a': normal(n + 'a', 4, 3), 'b': b})
        n = f'{fn}_const'
        c(n, 'binary_scalar', {'fn': fn, 'c': 0.75}, {'a': normal(n, 3, 4)})

    for fn in ['eq', 'ne', 'lt', 'le', 'gt', 'ge']:
        n = f'compare_{fn}'
        c(n, 'compare', {'fn': fn}, {}, {'a': halves(n + 'a', 2, 3, 4), 'b': halves(n + 'b', 3, 1)})
    c('where_bcast', 'where', {}, {'a': normal('wa', 3, 4), 'b': normal('wb', 4)}, {'cond': (halves('wc', 3, 1) > 0).astype(np.float32)})
    c('where_same', 'where', {}, {'a': normal('wsa', 2, 5), 'b': normal('wsb', 2, 5)},
      {'cond': (halves('wsc', 2, 5) > 0).astype(np.float32)})

    x3 = lambda n: normal(n, 2, 3, 4)
    for tag, a in [('sum_d1', dict(fn='sum', dims=[1])), ('sum_d02_keep', dict(fn='sum', dims=[0, 2], keepdim=True)),
                   ('sum_all', dict(fn='sum')), ('sum_neg_keep', dict(fn='sum', dims=[-1], keepdim=True)),
                   ('amax_d1_keep', dict(fn='amax', dims=[1], keepdim=True)), ('amax_d02', dict(fn='amax', dims=[0, 2])),
                   ('amax_all', dict(fn='amax')), ('amin_d2', dict(fn='amin', dims=[2])),
                   ('mean_d2', dict(fn='mean', dims=[2])), ('mean_d01_keep', dict(fn='mean', dims=[0, 1], keepdim=True)),
                   ('mean_all', dict(fn='mean')),
                   ('var_d1_unbiased', dict(fn='var', dims=[1], unbiased=True)),
                   ('var_d02_biased_keep', dict(fn='var', dims=[0, 2], unbiased=False, keepdim=True)),
                   ('var_d2_biased', dict(fn='var', dims=[2], unbiased=False)),
                   ('var_d012_unbiased_keep', dict(fn='var', dims=[0, 1, 2], unbiased=True, keepdim=True)),
                   ('std_d2_unbiased', dict(fn='std', dims=[2], unbiased=True))]:
        c(f'reduce_{tag}', 'reduce', a, {'x': x3(f'reduce_{tag}')})
    c('reduce_sum_strided', 'reduce', {'fn': 'sum', 'dims': [1], 'transpose': ['x']}, {'x': x3('reduce_sum_strided')})
    c('reduce_amax_strided', 'reduce', {'fn': 'amax', 'dims': [2], 'transpose': ['x']}, {'x': x3('reduce_amax_strided')})
    for tag, a in [('d1', dict(dim=1, keepdim=False)), ('d2_keep', dict(dim=2, keepdim=True)), ('flat', dict(dim=None))]:
        c(f'argmax_{tag}', 'argmax', a, {}, {'x': x3(f'argmax_{tag}')})

    for tag, sa, sb, tr in [('2d', (3, 4), (4, 5), []), ('batched', (2, 3, 4), (2, 4, 5), []),
                            ('bcast', (2, 1, 3, 4), (5, 4, 6), []), ('vec_mat', (4,), (4, 5), []),
                            ('mat_vec', (2, 3, 4), (4,), []), ('bt', (3, 4), (5, 4), ['b']),
                            ('at_bcast', (2, 4, 3), (4, 5), ['a']), ('big', (17, 33), (33, 19), [])]:
        n = f'matmul_{tag}'
        c(n, 'matmul', {'transpose': tr}, {'a': normal(n + 'a', *sa), 'b': normal(n + 'b', *sb)})

    for tag, ws, bias, st, pd, dl, g, tr in [
            ('basic', (6, 4, 3, 3), True, [1, 1], [1, 1], [1, 1], 1, []),
            ('stride2', (6, 4, 3, 3), False, [2, 2], [1, 1], [1, 1], 1, []),
            ('dilation2', (6, 4, 3, 3), True, [1, 1], [2, 2], [2, 2], 1, []),
            ('groups2', (6, 2, 3, 3), True, [1, 1], [1, 1], [1, 1], 2, []),
            ('depthwise', (4, 1, 3, 3), False, [2, 2], [1, 1], [1, 1], 4, []),
            ('depthwise_mult2', (8, 1, 3, 3), True, [1, 1], [1, 1], [1, 1], 4, []),
            ('rect', (5, 4, 3, 2), True, [2, 1], [1, 0], [1, 1], 1, []),
            ('1x1', (7, 4, 1, 1), False, [1, 1], [0, 0], [1, 1], 1, []),
            ('5x5_s2_nopad', (3, 4, 5, 5), True, [2, 2], [0, 0], [1, 1], 1, []),
            ('strided_input', (6, 4, 3, 3), True, [2, 1], [1, 2], [1, 2], 1, ['x'])]:
        n = f'conv2d_{tag}'
        inp = {'x': normal(n + 'x', 2, 4, 9, 8), 'w': normal(n + 'w', *ws, scale=0.3)}
        if bias:
            inp['b'] = normal(n + 'b', ws[0])
        c(n, 'conv2d', dict(stride=st, padding=pd, dilation=dl, groups=g, transpose=tr), inp)

    for tag, k, s, p, ceil in [('k3s2p1', [3, 3], [2, 2], [1, 1], False), ('k2s2', [2, 2], [2, 2], [0, 0], False),
                               ('k3s2p1_ceil', [3, 3], [2, 2], [1, 1], True), ('k2s2_ceil', [2, 2], [2, 2], [0, 0], True),
                               ('k2s1', [2, 2], [1, 1], [0, 0], False), ('rect', [3, 2], [2, 1], [1, 0], False),
                               ('k3s3_ceil', [3, 3], [3, 3], [0, 0], True)]:
        n = f'max_pool2d_{tag}'
        c(n, 'max_pool2d', dict(kernel=k, stride=s, padding=p, ceil_mode=ceil), {'x': normal(n, 2, 3, 9, 8)})
    for tag, k, s, p, ceil, inc in [('k3s2p1_incl', [3, 3], [2, 2], [1, 1], False, True),
                                    ('k3s2p1_excl', [3, 3], [2, 2], [1, 1], False, False),
                                    ('k3s2p1_ceil_incl', [3, 3], [2, 2], [1, 1], True, True),
                                    ('k3s2p1_ceil_excl', [3, 3], [2, 2], [1, 1], True, False),
                                    ('k2s2_ceil_incl', [2, 2], [2, 2], [0, 0], True, True),
                                    ('k2s2', [2, 2], [2, 2], [0, 0], False, True),
                                    ('rect_excl', [3, 2], [2, 1], [1, 1], False, False)]:
        n = f'avg_pool2d_{tag}'
        c(n, 'avg_pool2d', dict(kernel=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=inc), {'x': normal(n, 2, 3, 9, 8)})
    for tag, xs, o in [('7x5_to_3x2', (2, 3, 7, 5), [3, 2]), ('to_1x1', (2, 3, 7, 5), [1, 1]),
                       ('8x6_to_4x3', (2, 3, 8, 6), [4, 3]), ('5x7_to_4x4', (1, 2, 5, 7), [4, 4]),
                       ('3x3_to_5x4', (1, 2, 3, 3), [5, 4])]:
        n = f'adaptive_avg_pool2d_{tag}'
        c(n, 'adaptive_avg_pool2d', {'out': o}, {'x': normal(n, *xs)})

    for tag, xs, training in [('train_4d', (4, 3, 5, 5), True), ('train_2d', (6, 4), True), ('eval_4d', (4, 3, 5, 5), False),
                              ('train_4d_strided', (4, 3, 5, 6), True)]:
        n = f'batch_norm_{tag}'
        ch = xs[1]
        args = dict(training=training, momentum=0.1, eps=1e-5)
        if tag.endswith('strided'):
            args['transpose'] = ['x']
        c(n, 'batch_norm', args,
          {'x': normal(n + 'x', *xs, scale=2.0) + 0.5, 'weight': positive(n + 'w', ch), 'bias': normal(n + 'b', ch)},
          {'running_mean': normal(n + 'rm', ch, scale=0.3), 'running_var': positive(n + 'rv', ch)})

    for fn in ['log_softmax', 'softmax']:
        c(f'{fn}_2d', fn, {'dim': 1}, {'x': normal(f'{fn}_2d', 4, 7, scale=3.0)})
        c(f'{fn}_3d_d0', fn, {'dim': 0}, {'x': normal(f'{fn}_3d_d0', 3, 2, 4)})
        c(f'{fn}_3d_dlast', fn, {'dim': -1}, {'x': normal(f'{fn}_3d_dlast', 2, 3, 5)})
        c(f'{fn}_strided', fn, {'dim': 1, 'transpose': ['x']}, {'x': normal(f'{fn}_strided', 6, 4)})
        # logits near 100 overflow exp in float32 unless the max is subtracted first
        c(f'{fn}_large', fn, {'dim': 1}, {'x': normal(f'{fn}_large', 3, 8, scale=3.0) + 100.0})

    c('cat_d1', 'cat', {'dim': 1}, {'x0': normal('c0', 2, 3), 'x1': normal('c1', 2, 5)})
    c('cat_d0_three', 'cat', {'dim': 0}, {'x0': normal('c2', 1, 3), 'x1': normal('c3', 4, 3), 'x2': normal('c4', 2, 3)})
    c('cat_dneg', 'cat', {'dim': -1}, {'x0': normal('c5', 2, 2, 3), 'x1': normal('c6', 2, 2, 1)})
    c('stack_d0', 'stack', {'dim': 0}, {'x0': normal('s0', 2, 3), 'x1': normal('s1', 2, 3), 'x2': normal('s2', 2, 3)})
    c('stack_d1', 'stack', {'dim': 1}, {'x0': normal('s3', 2, 3), 'x1': normal('s4', 2, 3)})
    c('stack_dlast', 'stack', {'dim': 2}, {'x0': normal('s5', 2, 3), 'x1': normal('s6', 2, 3)})

    c('pad_last', 'pad', {'pads': [1, 2], 'value': 0.0}, {'x': normal('p0', 2, 3, 4)})
    c('pad_two_dims', 'pad', {'pads': [1, 0, 2, 1], 'value': -1.5}, {'x': normal('p1', 2, 3, 4)})
    c('pad_three_dims', 'pad', {'pads': [0, 0, 1, 1, 2, 0], 'value': 0.25}, {'x': normal('p2', 2, 3, 4)})
    # float32 -> float64 -> float32 (float64 run: float64 -> float32 -> float64, so x * 1.1 is rounded to float32 once)
    c('cast_roundtrip', 'cast', {'scale': 1.1}, {'x': normal('cast_roundtrip', 3, 5)})

    for tag, steps in [('reshape', [['reshape', [6, 4]]]), ('reshape_infer', [['reshape', [4, -1]]]),
                       ('permute', [['permute', [2, 0, 1]]]), ('permute_reshape', [['permute', [1, 0, 2]], ['reshape', [3, 8]]]),
                       ('transpose_contiguous', [['transpose', 0, 2], ['contiguous']]),
                       ('expand', [['narrow', 2, 1, 1], ['expand', [2, 3, 5]]]),
                       ('expand_new_dims', [['select', 0, 1], ['unsqueeze', 0], ['expand', [4, -1, -1]]]),
                       ('narrow', [['narrow', 1, 1, 2]]), ('slice_step', [['slice', 2, 0, 4, 2]]),
                       ('slice_neg_step3', [['slice', 1, -2, 3, 1], ['slice', 2, 1, 4, 3]]),
                       ('select_squeeze', [['select', 1, -1], ['unsqueeze', 1], ['squeeze', 1]]),
                       ('flatten1', [['flatten', 1]]),
                       ('view_then_exp', [['permute', [2, 1, 0]], ['slice', 0, 1, 4, 2], ['exp']])]:
        c(f'view_{tag}', 'chain', {'steps': steps}, {'x': normal(f'view_{tag}', 2, 3, 4)})

    # exact ties and zeros (inputs are multiples of 0.5): which element gets the gradient, as in torch
    for fn in ['maximum', 'minimum']:
        c(f'ties_{fn}', 'binary', {'fn': fn}, {'a': halves(f'ties_{fn}a', 3, 4), 'b': halves(f'ties_{fn}b', 4)})
    for fn in ['relu', 'abs', 'sign']:
        c(f'ties_{fn}', 'unary', {'fn': fn}, {'x': halves(f'ties_{fn}', 4, 5)})
    c('ties_amax_d1', 'reduce', dict(fn='amax', dims=[1]), {'x': halves('ties_amax_d1', 2, 6, 3)})
    c('ties_amax_all', 'reduce', dict(fn='amax'), {'x': halves('ties_amax_all', 3, 4)})
    c('ties_max_pool2d', 'max_pool2d', dict(kernel=[3, 3], stride=[2, 2], padding=[1, 1], ceil_mode=False),
      {'x': halves('ties_max_pool2d', 2, 2, 7, 7)})
    c('ties_clamp', 'clamp', dict(lo=-0.5, hi=1.0), {'x': halves('ties_clamp', 4, 5)})
    c('ties_argmax', 'argmax', dict(dim=1, keepdim=False), {}, {'x': halves('ties_argmax', 4, 6)})

    c('linear_2d', 'linear', {}, {'x': normal('l0', 5, 6), 'w': normal('l1', 4, 6), 'b': normal('l2', 4)})
    c('linear_3d_nobias', 'linear', {}, {'x': normal('l3', 2, 3, 6), 'w': normal('l4', 4, 6)})
    c('dropout_p0_train', 'dropout', {'p': 0.0, 'training': True}, {'x': normal('d0', 3, 4)})
    c('dropout_eval', 'dropout', {'p': 0.5, 'training': False}, {'x': normal('d1', 3, 4)})
    fam.write()


# ---------------------------------------------------------------- losses

def losses():
    fam = Family('losses')
    c = fam.case
    labels = rng_for('labels').integers(0, 5, 6).astype(np.float32)
    c('cross_entropy', 'cross_entropy', {'label_smoothing': 0.0}, {'logits': normal('ce', 6, 5, scale=2.0)}, {'labels': labels})
    c('cross_entropy_ls0_1', 'cross_entropy', {'label_smoothing': 0.1}, {'logits': normal('cels', 6, 5, scale=2.0)},
      {'labels': labels})
    tgt = rng_for('soft').uniform(0, 1, (6, 5))
    c('cross_entropy_soft', 'cross_entropy_soft', {}, {'logits': normal('ces', 6, 5)}, {'target': (tgt / tgt.sum(1, keepdims=True))})
    for t in [1.0, 4.0]:
        n = f'kl_distill_T{int(t)}'
        c(n, 'kl_distill', {'T': t}, {'student': normal(n + 's', 6, 10, scale=3.0), 'teacher': normal(n + 't', 6, 10, scale=3.0)})
    c('mse', 'mse', {}, {'a': normal('mse_a', 3, 4, 2), 'b': normal('mse_b', 3, 4, 2)})
    c('l1', 'l1', {}, {'a': normal('l1_a', 3, 4, 2), 'b': normal('l1_b', 3, 4, 2)})
    fam.write()


# ---------------------------------------------------------------- optimizers: fixed grads, several steps

def optimizers():
    fam = Family('optim')
    steps = 5
    p0 = [normal('opt_p0', 3, 4), normal('opt_p1', 5)]
    grads = [[normal(f'opt_g{t}_{i}', *p.shape) for i, p in enumerate(p0)] for t in range(steps)]
    for i, p in enumerate(p0):
        fam.put(f'params/p{i}', p)
    for t in range(steps):
        for i, g in enumerate(grads[t]):
            fam.put(f'grads/step{t}/p{i}', g)
    cases = {
        'sgd_plain': ('sgd', dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)),
        'sgd_momentum_wd': ('sgd', dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5e-4, nesterov=False)),
        'sgd_nesterov_wd': ('sgd', dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5e-4, nesterov=True)),
        'sgd_dampening': ('sgd', dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.0, nesterov=False)),
        'adam': ('adam', dict(lr=1e-2, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.0)),
        'adam_l2': ('adam', dict(lr=1e-2, betas=[0.9, 0.999], eps=1e-8, weight_decay=1e-2)),
        'adam_betas': ('adam', dict(lr=3e-2, betas=[0.8, 0.99], eps=1e-6, weight_decay=0.0)),
        'adamw': ('adamw', dict(lr=1e-2, betas=[0.9, 0.999], eps=1e-8, weight_decay=1e-2)),
    }
    for name, (kind, a) in cases.items():
        fam.meta[name] = json.dumps(dict(op=kind, steps=steps, **a), separators=(',', ':'))
        for dtype, pre, conv in ((torch.float32, '', np32), (torch.float64, 'f64/', np64)):
            ps = [torch.from_numpy(p.copy()).to(dtype).requires_grad_(True) for p in p0]
            opt = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW}[kind](ps, **a)
            for t in range(steps):
                for p, g in zip(ps, grads[t]):
                    p.grad = torch.from_numpy(g.copy()).to(dtype)
                opt.step()
                for i, p in enumerate(ps):
                    fam.put(f'{name}/{pre}step{t}/p{i}', conv(p))
    fam.write()


# ---------------------------------------------------------------- LR schedules

def schedules():
    fam = Family('schedules')

    def record(name, make, n, args):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=args['base'])
        sched = make(opt)
        lrs = []
        for _ in range(n):
            lrs.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        fam.meta[name] = json.dumps(args, separators=(',', ':'))
        fam.put(f'{name}/lr', np.array(lrs, dtype=np.float64))

    # MultiStepLR stepped once per epoch: epoch e's value holds for every fractional epoch in [e, e+1).
    record('multistep', lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 6], gamma=0.1), 10,
           dict(op='multistep', base=0.1, milestones=[3, 6], gamma=0.1, steps_per_epoch=1))
    # CosineAnnealingLR stepped per iteration with T_max = total iterations (values up to T_max).
    record('cosine_per_step', lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=1e-3), 21,
           dict(op='cosine', base=0.1, t_max=20, eta_min=1e-3, steps_per_epoch=4))
    record('cosine_per_epoch', lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30, eta_min=0.0), 31,
           dict(op='cosine', base=0.05, t_max=30, eta_min=0.0, steps_per_epoch=1))
    # OneCycleLR(anneal_strategy='cos') over total_steps iterations.
    record('onecycle', lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.2, total_steps=50, pct_start=0.3, anneal_strategy='cos', div_factor=25.0, final_div_factor=1e4,
        cycle_momentum=False), 50,
        dict(op='onecycle', base=0.2, max_lr=0.2, total_steps=50, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
             steps_per_epoch=5))
    record('onecycle_epochs', lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.1, epochs=4, steps_per_epoch=7, pct_start=0.25, anneal_strategy='cos', div_factor=10.0,
        final_div_factor=100.0, cycle_momentum=False), 28,
        dict(op='onecycle', base=0.1, max_lr=0.1, total_steps=28, pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
             steps_per_epoch=7))
    fam.write()


# ---------------------------------------------------------------- a small conv net

def convnet():
    fam = Family('convnet')
    # No conv biases: a bias feeding training-mode batch norm has an exactly zero gradient, which
    # both sides would only approximate by rounding noise (conv biases are covered by conv2d_* cases).
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1, bias=False), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10))
    state = {}
    for k, v in net.state_dict().items():
        if k.endswith('num_batches_tracked'):
            continue
        n = 'net/' + k
        if k.endswith('running_var') or (k.endswith('weight') and v.dim() == 1):
            arr = positive(n, *v.shape)
        elif k.endswith('running_mean') or k.endswith('bias'):
            arr = normal(n, *v.shape, scale=0.2)
        else:
            fan_in = int(np.prod(v.shape[1:]))
            arr = normal(n, *v.shape, scale=float(np.sqrt(2.0 / fan_in)))
        state[k] = arr
        fam.put(f'state/{k}', arr)
    x = normal('net/x', 4, 3, 16, 16)
    labels = rng_for('net/labels').integers(0, 10, 4).astype(np.float32)
    fam.put('x', x)
    fam.put('labels', labels)
    sgd = dict(lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=False)
    fam.meta['convnet'] = json.dumps(dict(op='convnet', sgd=sgd), separators=(',', ':'))
    for dtype, pre, conv in ((torch.float32, '', np32), (torch.float64, 'f64/', np64)):
        net.to(dtype)
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()}, strict=False)
        net.train()
        opt = torch.optim.SGD(net.parameters(), **sgd)
        xt, yt = torch.from_numpy(x.copy()).to(dtype), torch.from_numpy(labels).long()
        for step in (1, 2):
            opt.zero_grad()
            logits = net(xt)
            loss = F.cross_entropy(logits, yt)
            loss.backward()
            fam.put(f'{pre}step{step}/logits', conv(logits))
            fam.put(f'{pre}step{step}/loss', conv(loss))
            for k, p in net.named_parameters():
                fam.put(f'{pre}step{step}/grad/{k}', conv(p.grad))
            opt.step()
            for k, v in net.state_dict().items():
                if not k.endswith('num_batches_tracked'):
                    fam.put(f'{pre}step{step}/after/{k}', conv(v))
        net.eval()
        with torch.no_grad():
            fam.put(f'{pre}eval/logits', conv(net(xt)))
    fam.write()


if __name__ == '__main__':
    print('torch', torch.__version__)
    primitives()
    losses()
    optimizers()
    schedules()
    convnet()
