package kr.engine.backend;

/** Geometry of a 2-d pooling window (PyTorch semantics, floor mode unless ceilMode). */
public record Pool2dParams(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, boolean ceilMode,
        boolean countIncludePad) {
    public Pool2dParams {
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("[pool2d] invalid geometry kernel=(" + kernelH + "," + kernelW + ") stride=(" + strideH + ","
                    + strideW + ") padding=(" + padH + "," + padW + ")");
        if (padH * 2 > kernelH || padW * 2 > kernelW)
            throw new IllegalArgumentException("[pool2d] padding (" + padH + "," + padW + ") must be at most half the kernel (" + kernelH
                    + "," + kernelW + ")");
    }

    public static Pool2dParams of(int kernel, int stride, int padding) {
        return new Pool2dParams(kernel, kernel, stride, stride, padding, padding, false, true);
    }

    public int outH(int h) {
        return out(h, kernelH, strideH, padH);
    }

    public int outW(int w) {
        return out(w, kernelW, strideW, padW);
    }

    private int out(int size, int k, int s, int p) {
        int num = size + 2 * p - k;
        // floorDiv as PyTorch's div_rtn: an input smaller than the window gives 0 in floor mode, not 1
        int o = Math.floorDiv(ceilMode ? num + s - 1 : num, s) + 1;
        // PyTorch: in ceil mode the last window must start inside the input or left padding
        if (ceilMode && (o - 1) * s >= size + p) o--;
        return o;
    }
}
