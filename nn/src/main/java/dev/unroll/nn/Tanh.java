package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/** tanh(x) elementwise. */
public final class Tanh extends Module {
  @Override
  public Tensor forward(Tensor x) {
    return x.tanh();
  }
}
