package kr.engine.backend;

/** Geometry of a 2-d convolution (PyTorch semantics). */
public record Conv2dParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public Conv2dParams {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("[conv2d] invalid geometry stride=(" + strideH + "," + strideW + ") padding=(" + padH + ","
                    + padW + ") dilation=(" + dilationH + "," + dilationW + ") groups=" + groups);
    }

    public static Conv2dParams of(int stride, int padding) {
        return new Conv2dParams(stride, stride, padding, padding, 1, 1, 1);
    }

    // floorDiv: a padded input smaller than the dilated kernel must give <= 0, not round up to 1
    public int outH(int h, int kh) {
        return Math.floorDiv(h + 2 * padH - dilationH * (kh - 1) - 1, strideH) + 1;
    }

    public int outW(int w, int kw) {
        return Math.floorDiv(w + 2 * padW - dilationW * (kw - 1) - 1, strideW) + 1;
    }
}
