package kr.distill;

import kr.data.Batch;
import kr.engine.Grad;
import kr.engine.Rng;
import kr.engine.Tensor;
import kr.engine.backend.CpuStorage;
import kr.models.Classifier;
import kr.nn.Linear;

/**
 * Contrastive representation distillation (Tian et al. 2020), as RepDistiller: linear embeddings
 * of both networks' embeddings to {@code dim} (L2-normalized), two memory banks of one vector per
 * training sample, and the NCE loss of each side against {@code k} negatives from the banks,
 * temperature {@code t}; the banks follow the batch embeddings with momentum {@code m}. The
 * normalizing constants Z are fixed on the first batch. Negatives ({@link Sampler}): by default
 * RepDistiller's {@code --mode exact} (other-class samples, without replacement unless K exceeds
 * them), or uniform over all samples with replacement (its ContrastMemory without indices).
 *
 * <pre>{@code CRD crd = new CRD(128, 16384, 0.07, 0.5, seed, CRD.Sampler.EXACT, labels); }</pre>
 */
public final class CRD extends Distiller {
    /** How the K negatives of a sample are drawn. */
    public enum Sampler {
        /** RepDistiller's CIFAR100InstanceSample, mode exact: indices of other classes, without replacement (with replacement only when K exceeds them). */
        EXACT,
        /** Any sample, with replacement (the positive and same-class samples included): RepDistiller's ContrastMemory when no indices are given. */
        UNIFORM;

        public static Sampler parse(String s) {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }

    private static final double EPS = 1e-7;
    private final int dim, k;
    private final double t, m;
    private final long seed;
    private final Sampler sampler;
    private final int[] labels;
    private int[] byClass, classStart; // sample indices sorted by label; class c's are byClass[classStart[c] .. classStart[c+1])
    private int[] scratch, swaps; // scratch is the identity between rows: each row's partial Fisher-Yates shuffle is undone from swaps
    private Linear embedS, embedT;
    private float[] memS, memT; // [numData, dim]: bank seen from the student side / the teacher side
    private double[] z; // {Z_s, Z_t}; negative until fixed on the first batch
    private int numData;

    /** Uniform negatives; a batch's are drawn from a generator seeded by {@code seed} and the batch's sample indices. */
    public CRD(int dim, int k, double t, double m, long seed) {
        this(dim, k, t, m, seed, Sampler.UNIFORM, null);
    }

    /** {@code labels}: the label of every training sample (by the index batches carry); required by {@link Sampler#EXACT}. */
    public CRD(int dim, int k, double t, double m, long seed, Sampler sampler, int[] labels) {
        if (sampler == Sampler.EXACT && labels == null) throw new IllegalArgumentException("[crd] the exact sampler needs the training labels");
        this.dim = dim;
        this.k = k;
        this.t = t;
        this.m = m;
        this.seed = seed;
        this.sampler = sampler;
        this.labels = labels;
    }

    @Override
    public void init(Classifier.Output s, Classifier.Output te, int numData) {
        Tensor fs = s.features().get(s.features().size() - 1), ft = te.features().get(te.features().size() - 1);
        init(Ops.rows(fs).shape(1), Ops.rows(ft).shape(1), numData);
    }

    /** Creates the embeddings ({@code sDim -> dim}, {@code tDim -> dim}) and the two memory banks. */
    public void init(int sDim, int tDim, int numData) {
        embedS = register("embed_s", new Linear(sDim, dim));
        embedT = register("embed_t", new Linear(tDim, dim));
        this.numData = numData;
        if (sampler == Sampler.EXACT) indexClasses(numData);
        double stdv = 1.0 / Math.sqrt(dim / 3.0);
        Rng rng = new Rng(seed);
        memS = new float[numData * dim];
        memT = new float[numData * dim];
        for (int i = 0; i < memS.length; i++) memS[i] = (float) (rng.nextDouble() * 2 * stdv - stdv);
        for (int i = 0; i < memT.length; i++) memT[i] = (float) (rng.nextDouble() * 2 * stdv - stdv);
        z = new double[] {-1, -1};
        // buffers share the arrays, so checkpoints save and restore the banks and Z; they stay on the host
        // when the method moves to a GPU (each step uploads its gathered rows, B x (K+1) x dim floats)
        hostBuffer("memory_s", Tensor.wrap(CpuStorage.of(memS), new int[] {numData, dim}));
        hostBuffer("memory_t", Tensor.wrap(CpuStorage.of(memT), new int[] {numData, dim}));
        hostBuffer("z", Tensor.wrap(CpuStorage.of(z), new int[] {2}));
    }

    /** NCE loss of scores {@code x [B, K+1]} whose first column is the positive (RepDistiller's ContrastLoss). */
    public static Tensor nce(Tensor x, int numData) {
        int b = x.shape(0), kk = x.shape(1) - 1;
        double pn = 1.0 / numData;
        Tensor pos = x.narrow(1, 0, 1);
        Tensor ld1 = pos.div(pos.add(kk * pn + EPS)).log();
        Tensor neg = x.narrow(1, 1, kk);
        Tensor ld0 = neg.add(kk * pn + EPS).log().rsub(Math.log(kk * pn));
        return ld1.sum().add(ld0.sum()).neg().div(b);
    }

    private void indexClasses(int n) {
        if (labels.length != n) throw new IllegalArgumentException("[crd] " + labels.length + " labels for " + n + " training samples");
        int classes = 0;
        for (int y : labels) {
            if (y < 0) throw new IllegalArgumentException("[crd] negative label " + y);
            classes = Math.max(classes, y + 1);
        }
        classStart = new int[classes + 1];
        for (int y : labels) classStart[y + 1]++;
        for (int c = 0; c < classes; c++) classStart[c + 1] += classStart[c];
        byClass = new int[n];
        int[] fill = java.util.Arrays.copyOf(classStart, classes);
        for (int i = 0; i < n; i++) byClass[fill[labels[i]]++] = i;
        scratch = Alignment.identity(n);
        swaps = new int[Math.min(k, n)];
    }

    @Override
    public Tensor loss(Classifier.Output s, Classifier.Output te, Batch batch) {
        int[] y = batch.indices();
        return contrast(Ops.rows(s.features().get(s.features().size() - 1)), Ops.rows(te.features().get(te.features().size() - 1)), y, sample(y));
    }

    /** The bank rows each sample scores: itself first, then its K negatives ({@code [B*(K+1)]}). */
    int[] sample(int[] y) {
        int[] idx = new int[y.length * (k + 1)];
        Rng rng = new Rng(seed * 31 + java.util.Arrays.hashCode(y));
        for (int i = 0; i < y.length; i++) {
            idx[i * (k + 1)] = y[i];
            if (sampler == Sampler.UNIFORM) for (int j = 1; j <= k; j++) idx[i * (k + 1) + j] = rng.nextInt(numData);
            else otherClass(labels[y[i]], rng, idx, i * (k + 1) + 1);
        }
        return idx;
    }

    /** K indices of classes other than {@code c} into {@code out} from {@code at}: distinct while K fits, as numpy's choice(replace=K > n). */
    private void otherClass(int c, Rng rng, int[] out, int at) {
        int lo = classStart[c], own = classStart[c + 1] - lo, n = numData - own;
        if (n <= 0) throw new IllegalStateException("[crd] every training sample has label " + c + "; no negatives of another class");
        if (k > n) {
            for (int j = 0; j < k; j++) out[at + j] = otherClassAt(rng.nextInt(n), lo, own);
            return;
        }
        // partial Fisher-Yates over positions 0..n-1 of the other-class list, undone afterwards (O(K), no allocation)
        for (int j = 0; j < k; j++) {
            int r = j + rng.nextInt(n - j), x = scratch[j];
            swaps[j] = r;
            scratch[j] = scratch[r];
            scratch[r] = x;
            out[at + j] = otherClassAt(scratch[j], lo, own);
        }
        for (int j = k - 1; j >= 0; j--) {
            int r = swaps[j], x = scratch[j];
            scratch[j] = scratch[r];
            scratch[r] = x;
        }
    }

    /** The p-th sample of the other-class list: the class-sorted indices with class c's block [lo, lo+own) left out. */
    private int otherClassAt(int p, int lo, int own) {
        return byClass[p < lo ? p : p + own];
    }

    /**
     * The CRD loss for embeddings {@code fs [B, sDim]}, {@code ft [B, tDim]} of samples {@code y}, with
     * {@code idx [B*(K+1)]} the bank rows to score (positive first in each row of K+1); updates the banks
     * when recording gradients.
     */
    Tensor contrast(Tensor fs, Tensor ft, int[] y, int[] idx) {
        if (embedS == null) throw new IllegalStateException("[crd] init() was not called before loss()");
        Tensor vs = Ops.normalize(embedS.forward(fs), 1);
        Tensor vt = Ops.normalize(embedT.forward(ft), 1);
        int b = y.length;
        Tensor wS = gather(memS, idx, b).to(vs.dtype()).to(vs.device()), wT = gather(memT, idx, b).to(vs.dtype()).to(vs.device()); // [B, K+1, dim]
        // scores of the teacher embedding against the student-side bank and vice versa
        Tensor outT = wS.matmul(vt.unsqueeze(2)).squeeze(2).div(t).exp();
        Tensor outS = wT.matmul(vs.unsqueeze(2)).squeeze(2).div(t).exp();
        if (z[0] < 0) {
            z[0] = outS.detach().mean().item() * numData;
            z[1] = outT.detach().mean().item() * numData;
        }
        Tensor loss = nce(outS.div(z[0]), numData).add(nce(outT.div(z[1]), numData));
        if (kr.engine.Grad.enabled()) update(y, vs.detach().toFloatArray(), vt.detach().toFloatArray());
        return loss;
    }

    private Tensor gather(float[] mem, int[] idx, int b) {
        float[] out = new float[idx.length * dim];
        for (int i = 0; i < idx.length; i++) System.arraycopy(mem, idx[i] * dim, out, i * dim, dim);
        return Tensor.of(out, b, k + 1, dim);
    }

    private void update(int[] y, float[] vs, float[] vt) {
        for (int i = 0; i < y.length; i++) {
            blend(memS, y[i], vs, i);
            blend(memT, y[i], vt, i);
        }
    }

    private void blend(float[] mem, int row, float[] v, int i) {
        double n = 0;
        for (int d = 0; d < dim; d++) {
            float x = (float) (mem[row * dim + d] * m + v[i * dim + d] * (1 - m));
            mem[row * dim + d] = x;
            n += (double) x * x;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int d = 0; d < dim; d++) mem[row * dim + d] *= inv;
    }
}
