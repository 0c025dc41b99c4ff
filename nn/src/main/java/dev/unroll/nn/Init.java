package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;

/**
 * PyTorch's default initialisation of Linear and Conv2d layers. The weight is Kaiming-uniform with
 * a = √5: gain = √(2/(1 + a²)) = √(1/3), bound = gain·√3/√fan_in = 1/√fan_in, so W ~ U(−1/√fan_in,
 * 1/√fan_in); the bias is U(−1/√fan_in, 1/√fan_in) too. fan_in is the number of inputs per output
 * (in for Linear, in·kh·kw for Conv2d). Entries are drawn from the given {@link Rng} in row-major
 * order, so a seed fixes the parameters bit for bit.
 */
public final class Init {
  private Init() {}

  /** 1/√fan_in: the bound of PyTorch's default weight and bias initialisation. */
  public static double bound(int fanIn) {
    if (fanIn <= 0) throw new IllegalArgumentException("fan_in must be positive, got " + fanIn);
    return 1.0 / Math.sqrt(fanIn);
  }

  /** Entries U(−1/√fan_in, 1/√fan_in) of the given shape. */
  public static Tensor defaultUniform(Rng rng, DType dtype, int fanIn, int... shape) {
    double b = bound(fanIn);
    return Tensor.uniform(rng, dtype, -b, b, shape);
  }
}
