package dev.unroll.nn;

import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;

/** Mean over k×k windows with the given stride (no padding), per channel, on [N, C, H, W]. */
public final class AvgPool2d extends Module {
  private final int k, stride;

  public AvgPool2d(int k, int stride) {
    if (k <= 0 || stride <= 0) throw new IllegalArgumentException("AvgPool2d(k=" + k + ", stride=" + stride + "): both must be positive");
    this.k = k;
    this.stride = stride;
  }

  /** Non-overlapping k×k windows (stride k). */
  public AvgPool2d(int k) {
    this(k, k);
  }

  @Override
  public Tensor forward(Tensor x) {
    return Ops.avgPool2d(x, k, stride);
  }

  @Override
  public String toString() {
    return "AvgPool2d(" + k + ", stride=" + stride + ")";
  }
}
