package kr.distill;

import kr.engine.Tensor;

/** Tensor helpers the distillation losses share (compositions of primitives, safe at zero). */
public final class Ops {
    private Ops() {}

    /**
     * L2 norm along {@code dim} (kept), with a zero gradient where the norm is 0 (as torch.norm),
     * instead of the 0/0 a plain sqrt would give.
     */
    public static Tensor norm(Tensor x, int dim) {
        Tensor s = x.mul(x).sum(dim, true);
        Tensor pos = s.gt(0.0);
        Tensor safe = Tensor.where(pos, s, s.like(1.0));
        return Tensor.where(pos, safe.sqrt(), s.like(0.0));
    }

    /** torch.nn.functional.normalize: {@code x / max(||x||_2, eps)} along {@code dim}. */
    public static Tensor normalize(Tensor x, int dim, double eps) {
        return x.div(norm(x, dim).maximum(eps));
    }

    public static Tensor normalize(Tensor x, int dim) {
        return normalize(x, dim, 1e-12);
    }

    /** torch smooth_l1_loss with beta = 1, mean reduction. */
    public static Tensor smoothL1(Tensor a, Tensor b) {
        Tensor d = a.sub(b);
        Tensor ad = d.abs();
        return Tensor.where(ad.lt(1.0), d.mul(d).mul(0.5), ad.sub(0.5)).mean();
    }

    /**
     * {@code sum p * (log p - logq)} over all elements, where p = 0 contributes 0
     * (torch kl_div(logq, p, reduction='sum')).
     */
    public static Tensor klSum(Tensor logq, Tensor p) {
        Tensor pos = p.gt(0.0);
        Tensor logp = Tensor.where(pos, p, p.like(1.0)).log();
        return Tensor.where(pos, p.mul(logp.sub(logq)), p.like(0.0)).sum();
    }

    /** Pairwise Euclidean distances of rows of {@code e [N, D]}, zero diagonal (RKD's pdist). */
    public static Tensor pdist(Tensor e, double eps) {
        int n = e.shape(0);
        Tensor sq = e.mul(e).sum(1, false);
        Tensor prod = e.matmul(e.t());
        Tensor d2 = sq.unsqueeze(1).add(sq.unsqueeze(0)).sub(prod.mul(2.0)).maximum(eps);
        return d2.sqrt().mul(offDiagonal(n, e));
    }

    /** {@code 1 - I} of size n in e's dtype/device. */
    public static Tensor offDiagonal(int n, Tensor like) {
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) m[i * n + j] = i == j ? 0f : 1f;
        return Tensor.of(m, n, n).to(like.dtype()).to(like.device());
    }

    /** Rows flattened: {@code [N, ...] -> [N, -1]}. */
    public static Tensor rows(Tensor f) {
        return f.reshape(f.shape(0), -1);
    }
}
