package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * A multilayer perceptron widths[0] → widths[1] → ... → widths[L]: Linear layers with biases and an
 * activation between them (none after the last). The layers live in a {@link Sequential} named
 * "layers", so the parameters are named as in a PyTorch module with {@code self.layers =
 * nn.Sequential(...)}: "layers.0.weight", "layers.0.bias", "layers.2.weight", ... (activations take
 * the odd indices).
 */
public final class Mlp extends Module {
  private final Sequential layers;
  private final int[] widths;

  private Mlp(Sequential layers, int[] widths) {
    this.layers = addChild("layers", layers);
    this.widths = widths;
  }

  /** An MLP with the given widths (at least input and output), initialised from {@code rng} layer by layer. */
  public static Mlp of(DType dtype, Rng rng, Activation activation, int... widths) {
    if (widths.length < 2) throw new IllegalArgumentException("Mlp needs at least an input and an output width, got " + Arrays.toString(widths));
    Sequential s = new Sequential();
    for (int i = 0; i + 1 < widths.length; i++) {
      s.add(new Linear(widths[i], widths[i + 1], dtype, rng));
      if (i + 2 < widths.length) s.add(activation.create());
    }
    return new Mlp(s, widths.clone());
  }

  public Sequential layers() {
    return layers;
  }

  public int[] widths() {
    return widths.clone();
  }

  @Override
  public Tensor forward(Tensor x) {
    return layers.forward(x);
  }
}
