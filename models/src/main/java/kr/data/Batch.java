package kr.data;

import kr.engine.Tensor;

/** One mini-batch: normalized images {@code [B, C, H, W]} (float32, CPU) and their labels. */
public record Batch(Tensor images, int[] labels, int[] indices) {}
