package dev.unroll.optim.train;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Conv2d;
import dev.unroll.nn.Flatten;
import dev.unroll.nn.Linear;
import dev.unroll.nn.MaxPool2d;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Module;
import dev.unroll.nn.Sequential;
import java.util.Arrays;

/**
 * The architecture of a run's network as a plain description (serialisable with gson). Two kinds:
 * <ul>
 *   <li>"mlp": {@link Mlp} with {@code widths} (input, hidden..., output) and an activation between
 *       the Linear layers; inputs [B, widths[0]].</li>
 *   <li>"cnn": a small convolutional network on inputs [B, C, H, W] ({@code input} = {C, H, W}):
 *       for each entry c of {@code channels}, Conv2d(prev, c, 3×3, stride 1, padding 1), the
 *       activation, and 2×2 max pooling (H and W halve, rounding down); then Flatten, and
 *       Linear(·, hidden), activation, Linear(hidden, outputs) when {@code hidden} &gt; 0, else a
 *       single Linear(·, outputs). Layers live in one {@link Sequential}, so parameters are named
 *       "0.weight", "0.bias", ... by layer position.</li>
 * </ul>
 * Parameters are initialised as in PyTorch from an {@link Rng}, layer by layer in order, so
 * (spec, dtype, seed) fixes them bit for bit.
 *
 * @param type "mlp" or "cnn"
 * @param activation "relu", "tanh" or "gelu"
 * @param widths MLP widths (null for "cnn")
 * @param input CNN input shape {C, H, W} (null for "mlp")
 * @param channels CNN convolution channels, one entry per conv block (null for "mlp")
 * @param hidden CNN hidden width of the classifier head (0: none)
 * @param outputs CNN number of outputs
 */
public record ModelSpec(String type, String activation, int[] widths, int[] input, int[] channels, int hidden, int outputs) {
  public ModelSpec {
    activationOf(activation);
    switch (type) {
      case "mlp" -> {
        if (widths == null || widths.length < 2) throw new IllegalArgumentException("mlp needs at least an input and an output width, got " + Arrays.toString(widths));
        for (int w : widths) if (w <= 0) throw new IllegalArgumentException("mlp widths must be positive, got " + Arrays.toString(widths));
        widths = widths.clone();
      }
      case "cnn" -> {
        if (input == null || input.length != 3) throw new IllegalArgumentException("cnn needs an input shape {C, H, W}, got " + Arrays.toString(input));
        if (channels == null || channels.length == 0) throw new IllegalArgumentException("cnn needs at least one convolution block");
        if (outputs <= 0 || hidden < 0) throw new IllegalArgumentException("cnn: outputs must be positive and hidden ≥ 0, got outputs " + outputs + ", hidden " + hidden);
        int h = input[1], w = input[2];
        for (int c : channels) {
          if (c <= 0) throw new IllegalArgumentException("cnn channels must be positive, got " + Arrays.toString(channels));
          h /= 2;
          w /= 2;
        }
        if (h < 1 || w < 1) throw new IllegalArgumentException("cnn: input " + Arrays.toString(input) + " is too small for " + channels.length + " 2×2 poolings");
        input = input.clone();
        channels = channels.clone();
      }
      default -> throw new IllegalArgumentException("unknown model type '" + type + "' (known: mlp, cnn)");
    }
  }

  /** An MLP with these widths (input first, output last). */
  public static ModelSpec mlp(Activation activation, int... widths) {
    return new ModelSpec("mlp", activation.name().toLowerCase(java.util.Locale.ROOT), widths, null, null, 0, 0);
  }

  /** A small CNN on inputs {C, H, W} (see the class description). */
  public static ModelSpec cnn(Activation activation, int[] input, int[] channels, int hidden, int outputs) {
    return new ModelSpec("cnn", activation.name().toLowerCase(java.util.Locale.ROOT), null, input, channels, hidden, outputs);
  }

  @Override
  public int[] widths() {
    return widths == null ? null : widths.clone();
  }

  @Override
  public int[] input() {
    return input == null ? null : input.clone();
  }

  @Override
  public int[] channels() {
    return channels == null ? null : channels.clone();
  }

  /** A fresh network of this architecture with parameters of {@code dtype} drawn from {@code rng}. */
  public Module build(DType dtype, Rng rng) {
    Activation act = activationOf(activation);
    if (type.equals("mlp")) return Mlp.of(dtype, rng, act, widths);
    Sequential s = new Sequential();
    int c = input[0], h = input[1], w = input[2];
    for (int out : channels) {
      s.add(new Conv2d(c, out, 3, 1, 1, dtype, rng));
      s.add(act.create());
      s.add(new MaxPool2d(2));
      c = out;
      h /= 2;
      w /= 2;
    }
    s.add(new Flatten());
    int flat = c * h * w;
    if (hidden > 0) {
      s.add(new Linear(flat, hidden, dtype, rng));
      s.add(act.create());
      s.add(new Linear(hidden, outputs, dtype, rng));
    } else {
      s.add(new Linear(flat, outputs, dtype, rng));
    }
    return s;
  }

  private static Activation activationOf(String name) {
    if (name == null) throw new IllegalArgumentException("model spec needs an activation (relu, tanh, gelu)");
    return switch (name) {
      case "relu" -> Activation.RELU;
      case "tanh" -> Activation.TANH;
      case "gelu" -> Activation.GELU;
      default -> throw new IllegalArgumentException("unknown activation '" + name + "' (known: relu, tanh, gelu)");
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && type.equals(m.type) && activation.equals(m.activation) && Arrays.equals(widths, m.widths)
        && Arrays.equals(input, m.input) && Arrays.equals(channels, m.channels) && hidden == m.hidden && outputs == m.outputs;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(type, activation, Arrays.hashCode(widths), Arrays.hashCode(input), Arrays.hashCode(channels), hidden, outputs);
  }

  @Override
  public String toString() {
    return type.equals("mlp") ? "mlp" + Arrays.toString(widths) + " " + activation
        : "cnn(input " + Arrays.toString(input) + ", channels " + Arrays.toString(channels) + ", hidden " + hidden + ", outputs " + outputs + ", " + activation + ")";
  }
}
