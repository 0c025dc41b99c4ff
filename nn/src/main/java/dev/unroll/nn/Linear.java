package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * Affine map y = x·Wᵀ + b with weight W [out, in] and optional bias b [out], applied to the last
 * axis of x [..., in]. Initialised like PyTorch ({@link Init}): the weight first, then the bias,
 * from the same {@link Rng}. Inside a {@link Capture} scope it records its input and output.
 */
public final class Linear extends Module {
  private final int in, out;
  private final Parameter weight, bias;

  public Linear(int in, int out, boolean bias, DType dtype, Rng rng) {
    if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear(" + in + ", " + out + "): sizes must be positive");
    this.in = in;
    this.out = out;
    this.weight = addParameter("weight", Init.defaultUniform(rng, dtype, in, out, in));
    this.bias = bias ? addParameter("bias", Init.defaultUniform(rng, dtype, in, out)) : null;
  }

  public Linear(int in, int out, DType dtype, Rng rng) {
    this(in, out, true, dtype, rng);
  }

  public int in() { return in; }

  public int out() { return out; }

  public Parameter weight() { return weight; }

  /** The bias, or null when the layer has none. */
  public Parameter bias() { return bias; }

  @Override
  public Tensor forward(Tensor x) {
    if (x.rank() < 1 || x.dim(-1) != in) {
      throw new IllegalArgumentException(displayName() + " (Linear " + in + " -> " + out + "): input of shape " + Arrays.toString(x.shape()) + ", expected [..., " + in + "]");
    }
    Tensor x2 = x.rank() == 2 ? x : x.reshape(-1, in);
    Tensor y = x2.matmul(weight.value().t());
    if (bias != null) y = y.add(bias.value());
    if (x.rank() != 2) {
      int[] s = x.shape();
      s[s.length - 1] = out;
      y = y.reshape(s);
    }
    Capture.record(this, x, y);
    return y;
  }

  @Override
  public String toString() {
    return "Linear(" + in + ", " + out + (bias == null ? ", bias=false" : "") + ")";
  }
}
