package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/** GELU in its tanh form, ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch's approximate='tanh'). */
public final class GELU extends Module {
  @Override
  public Tensor forward(Tensor x) {
    return x.gelu();
  }
}
