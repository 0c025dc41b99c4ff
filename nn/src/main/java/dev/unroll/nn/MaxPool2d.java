package dev.unroll.nn;

import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;

/** Max over k×k windows with the given stride (no padding), per channel, on [N, C, H, W]. */
public final class MaxPool2d extends Module {
  private final int k, stride;

  public MaxPool2d(int k, int stride) {
    if (k <= 0 || stride <= 0) throw new IllegalArgumentException("MaxPool2d(k=" + k + ", stride=" + stride + "): both must be positive");
    this.k = k;
    this.stride = stride;
  }

  /** Non-overlapping k×k windows (stride k). */
  public MaxPool2d(int k) {
    this(k, k);
  }

  @Override
  public Tensor forward(Tensor x) {
    return Ops.maxPool2d(x, k, stride);
  }

  @Override
  public String toString() {
    return "MaxPool2d(" + k + ", stride=" + stride + ")";
  }
}
