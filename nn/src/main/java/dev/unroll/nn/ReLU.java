package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/** max(x, 0) elementwise; derivative 0 at 0, as in PyTorch. */
public final class ReLU extends Module {
  @Override
  public Tensor forward(Tensor x) {
    return x.relu();
  }
}
