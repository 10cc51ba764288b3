#!/usr/bin/env python3
"""Golden values for kr's distillation losses, computed with PyTorch implementations of each
paper's formula as RepDistiller / mdistiller write them.

Run:  /usr/bin/python3 kr/src/test/python/make_golden.py   (writes kr/src/test/resources/golden/)
Each case stores its inputs, the loss value and the gradients w.r.t. every differentiable input in
one safetensors file (float64, so the Java test can compare in float32 and float64).
"""
import json, math, os, struct
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "golden")
torch.manual_seed(0)


def save(name, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        t = t.detach().to(torch.float64).contiguous()
        b = t.numpy().tobytes()
        header[k] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float64) * scale).requires_grad_(True)


def grads(loss, named):
    loss.backward()
    return {"grad_" + k: v.grad for k, v in named.items()}


# --- KD (RepDistiller DistillKL)
def kd(y_s, y_t, T):
    p_s = F.log_softmax(y_s / T, dim=1)
    p_t = F.softmax(y_t / T, dim=1)
    return F.kl_div(p_s, p_t, reduction="sum") * (T ** 2) / y_s.shape[0]


s, t = leaf(8, 10, scale=3), leaf(8, 10, scale=3)
l = kd(s, t, 4.0)
save("kd", {"s": s, "t": t, "loss": l.detach(), **grads(l, {"s": s, "t": t})})


# --- AT (RepDistiller Attention, p = 2)
def at(f, p=2):
    return F.normalize(f.pow(p).mean(1).view(f.size(0), -1))


def at_loss(f_s, f_t):
    s_H, t_H = f_s.shape[2], f_t.shape[2]
    if s_H > t_H:
        f_s = F.adaptive_avg_pool2d(f_s, (t_H, t_H))
    elif s_H < t_H:
        f_t = F.adaptive_avg_pool2d(f_t, (s_H, s_H))
    return (at(f_s) - at(f_t)).pow(2).mean()


fs0, fs1 = leaf(4, 8, 8, 8), leaf(4, 16, 4, 4)
ft0, ft1 = leaf(4, 16, 8, 8), leaf(4, 32, 2, 2)
l = at_loss(fs0, ft0) + at_loss(fs1, ft1)
save("at", {"fs0": fs0, "fs1": fs1, "ft0": ft0, "ft1": ft1, "loss": l.detach(),
            **grads(l, {"fs0": fs0, "fs1": fs1, "ft0": ft0, "ft1": ft1})})


# --- SP (RepDistiller Similarity)
def sp(f_s, f_t):
    bsz = f_s.shape[0]
    f_s, f_t = f_s.view(bsz, -1), f_t.view(bsz, -1)
    G_s = F.normalize(torch.mm(f_s, f_s.t()))
    G_t = F.normalize(torch.mm(f_t, f_t.t()))
    d = G_t - G_s
    return (d * d).view(-1, 1).sum(0)[0] / (bsz * bsz)


fs, ft = leaf(6, 8, 4, 4), leaf(6, 16, 4, 4)
l = sp(fs, ft)
save("sp", {"fs": fs, "ft": ft, "loss": l.detach(), **grads(l, {"fs": fs, "ft": ft})})


# --- RKD (RepDistiller RKDLoss, w_d = 25, w_a = 50)
def pdist(e, squared=False, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps)
    if not squared:
        res = res.sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res


def rkd(f_s, f_t, w_d=25, w_a=50):
    student, teacher = f_s.view(f_s.shape[0], -1), f_t.view(f_t.shape[0], -1)
    with torch.no_grad():
        t_d = pdist(teacher)
        t_d = t_d / t_d[t_d > 0].mean()
    d = pdist(student)
    d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, t_d)
    with torch.no_grad():
        td = teacher.unsqueeze(0) - teacher.unsqueeze(1)
        norm_td = F.normalize(td, p=2, dim=2)
        t_angle = torch.bmm(norm_td, norm_td.transpose(1, 2)).view(-1)
    sd = student.unsqueeze(0) - student.unsqueeze(1)
    norm_sd = F.normalize(sd, p=2, dim=2)
    s_angle = torch.bmm(norm_sd, norm_sd.transpose(1, 2)).view(-1)
    loss_a = F.smooth_l1_loss(s_angle, t_angle)
    return w_d * loss_d + w_a * loss_a


fs, ft = leaf(6, 10), leaf(6, 12)
l = rkd(fs, ft)
save("rkd", {"fs": fs, "ft": ft, "loss": l.detach(), **grads(l, {"fs": fs})})


# --- PKT (RepDistiller PKT)
def pkt(output_net, target_net, eps=0.0000001):
    on = output_net / (torch.sqrt(torch.sum(output_net ** 2, dim=1, keepdim=True)) + eps)
    tn = target_net / (torch.sqrt(torch.sum(target_net ** 2, dim=1, keepdim=True)) + eps)
    ms = (torch.mm(on, on.t()) + 1.0) / 2.0
    ts = (torch.mm(tn, tn.t()) + 1.0) / 2.0
    ms = ms / torch.sum(ms, dim=1, keepdim=True)
    ts = ts / torch.sum(ts, dim=1, keepdim=True)
    return torch.mean(ts * torch.log((ts + eps) / (ms + eps)))


fs, ft = leaf(6, 10), leaf(6, 12)
l = pkt(fs, ft)
save("pkt", {"fs": fs, "ft": ft, "loss": l.detach(), **grads(l, {"fs": fs, "ft": ft})})


# --- DKD (mdistiller dkd_loss)
def dkd(logits_student, logits_teacher, target, alpha, beta, temperature):
    gt_mask = torch.zeros_like(logits_student).scatter_(1, target.unsqueeze(1), 1).bool()
    other_mask = torch.ones_like(logits_student).scatter_(1, target.unsqueeze(1), 0).bool()
    ps = F.softmax(logits_student / temperature, dim=1)
    pt = F.softmax(logits_teacher / temperature, dim=1)
    cat = lambda p: torch.cat([(p * gt_mask).sum(1, keepdims=True), (p * other_mask).sum(1, keepdims=True)], dim=1)
    ps, pt = cat(ps), cat(pt)
    tckd = F.kl_div(torch.log(ps), pt, reduction="sum") * (temperature ** 2) / target.shape[0]
    pt2 = F.softmax(logits_teacher / temperature - 1000.0 * gt_mask, dim=1)
    ls2 = F.log_softmax(logits_student / temperature - 1000.0 * gt_mask, dim=1)
    nckd = F.kl_div(ls2, pt2, reduction="sum") * (temperature ** 2) / target.shape[0]
    return alpha * tckd + beta * nckd


s, t = leaf(8, 10, scale=3), leaf(8, 10, scale=3)
y = torch.randint(0, 10, (8,))
l = dkd(s, t, y, 1.0, 8.0, 4.0)
# the teacher is frozen in DKD; torch's kl_div target gradient is NaN where the masked target is 0
save("dkd", {"s": s, "t": t, "labels": y.double(), "loss": l.detach(), **grads(l, {"s": s})})


# --- FitNets (RepDistiller ConvReg + HintLoss); regressor for [4,8,8,8] -> [4,16,4,4]
reg = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU()).double()
with torch.no_grad():
    reg[1].weight.uniform_(0.5, 1.5)
    reg[1].bias.uniform_(-0.5, 0.5)
fs, ft = leaf(4, 8, 8, 8), leaf(4, 16, 4, 4)
l = F.mse_loss(reg(fs), ft)
named = {"fs": fs, "ft": ft}
out = {"fs": fs, "ft": ft, "loss": l.detach()}
for k, v in reg.state_dict().items():
    if not k.endswith("num_batches_tracked"):
        out["regressor." + k] = v.clone()
l.backward()
for k, v in named.items():
    out["grad_" + k] = v.grad
for k, v in reg.named_parameters():
    out["grad_regressor." + k] = v.grad
save("fitnets", out)


# --- CRD: scores against given memory banks and indices, then NCE (RepDistiller ContrastMemory + ContrastLoss)
def nce(x, n_data, eps=1e-7):
    bsz, m = x.shape[0], x.size(1) - 1
    Pn = 1.0 / float(n_data)
    P_pos = x.select(1, 0)
    log_D1 = torch.div(P_pos, P_pos.add(m * Pn + eps)).log_()
    P_neg = x.narrow(1, 1, m)
    log_D0 = torch.div(P_neg.clone().fill_(m * Pn), P_neg.add(m * Pn + eps)).log_()
    return -(log_D1.sum(0) + log_D0.view(-1, 1).sum(0)) / bsz


n_data, K, dim, T, bsz = 40, 7, 8, 0.07, 5
embed_s, embed_t = nn.Linear(12, dim).double(), nn.Linear(16, dim).double()
fs, ft = leaf(bsz, 12), leaf(bsz, 16)
stdv = 1.0 / math.sqrt(dim / 3)
mem_s = torch.rand(n_data, dim, dtype=torch.float64) * 2 * stdv - stdv
mem_t = torch.rand(n_data, dim, dtype=torch.float64) * 2 * stdv - stdv
y = torch.randperm(n_data)[:bsz]
idx = torch.randint(0, n_data, (bsz, K + 1))
idx[:, 0] = y
v1 = F.normalize(embed_s(fs))  # student
v2 = F.normalize(embed_t(ft))  # teacher
w1 = mem_s[idx.view(-1)].view(bsz, K + 1, dim)
out_v2 = torch.exp(torch.bmm(w1, v2.view(bsz, dim, 1)) / T)
w2 = mem_t[idx.view(-1)].view(bsz, K + 1, dim)
out_v1 = torch.exp(torch.bmm(w2, v1.view(bsz, dim, 1)) / T)
Z1 = (out_v1.mean() * n_data).item()
Z2 = (out_v2.mean() * n_data).item()
l = nce(out_v1 / Z1, n_data)[0] + nce(out_v2 / Z2, n_data)[0]
out = {"fs": fs, "ft": ft, "memory_s": mem_s, "memory_t": mem_t, "indices": y.double(), "contrast_idx": idx.double(),
       "embed_s.weight": embed_s.weight.detach().clone(), "embed_s.bias": embed_s.bias.detach().clone(),
       "embed_t.weight": embed_t.weight.detach().clone(), "embed_t.bias": embed_t.bias.detach().clone(), "loss": l.detach()}
l.backward()
out.update({"grad_fs": fs.grad, "grad_embed_s.weight": embed_s.weight.grad, "grad_embed_t.weight": embed_t.weight.grad})
save("crd", out)


# --- KR sparse recoding penalty: beta/2 * ||M * (W - A)||^2 with M = |A| >= thr (top 30%)
W, A = leaf(16, 8, 3, 3), torch.randn(16, 8, 3, 3, dtype=torch.float64)
thr = A.abs().flatten().sort().values[-int(math.ceil(0.3 * A.numel()))]
M = (A.abs() >= thr).double()
l = 0.5 * 0.01 * ((M * (W - A)) ** 2).sum()
save("kr_penalty", {"w": W, "prior": A, "threshold": thr.reshape(1), "loss": l.detach(), **grads(l, {"w": W})})
print("golden files written to", os.path.abspath(OUT))
