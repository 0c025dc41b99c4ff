package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/**
 * A mini-batch: inputs x (first axis = examples), their targets, and the indices of these examples
 * in the training set they were drawn from (what a recorded run stores per step).
 */
public record Batch(Tensor x, Targets y, int[] indices) {
  public Batch {
    if (x.dim(0) != y.size() || y.size() != indices.length) {
      throw new IllegalArgumentException("batch of " + x.dim(0) + " inputs, " + y.size() + " targets and " + indices.length + " indices");
    }
  }

  public int size() {
    return indices.length;
  }
}
