package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/** Collapses every axis after the first: [N, d1, d2, ...] to [N, d1·d2·...]. */
public final class Flatten extends Module {
  @Override
  public Tensor forward(Tensor x) {
    if (x.rank() < 2) throw new IllegalArgumentException(displayName() + " (Flatten): input of rank " + x.rank() + ", expected [N, ...] of rank at least 2");
    return x.flatten(1);
  }
}
