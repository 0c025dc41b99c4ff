package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of x [N, C, H, W] with weight [O, C, kh, kw]
 * and optional bias [O]: y[n, o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v]·x[n, c, i·s + u − p, j·s + v − p]
 * (zero padding p, stride s). Initialised like PyTorch ({@link Init}, fan_in = C·kh·kw). Inside a
 * {@link Capture} scope it records its input and output.
 */
public final class Conv2d extends Module {
  private final int in, out, kh, kw, stride, pad;
  private final Parameter weight, bias;

  public Conv2d(int in, int out, int kh, int kw, int stride, int pad, boolean bias, DType dtype, Rng rng) {
    if (in <= 0 || out <= 0 || kh <= 0 || kw <= 0 || stride <= 0 || pad < 0) {
      throw new IllegalArgumentException("Conv2d(in=" + in + ", out=" + out + ", kernel=" + kh + "x" + kw + ", stride=" + stride + ", pad=" + pad + "): bad geometry");
    }
    this.in = in;
    this.out = out;
    this.kh = kh;
    this.kw = kw;
    this.stride = stride;
    this.pad = pad;
    int fanIn = in * kh * kw;
    this.weight = addParameter("weight", Init.defaultUniform(rng, dtype, fanIn, out, in, kh, kw));
    this.bias = bias ? addParameter("bias", Init.defaultUniform(rng, dtype, fanIn, out)) : null;
  }

  /** A square k×k kernel with a bias. */
  public Conv2d(int in, int out, int k, int stride, int pad, DType dtype, Rng rng) {
    this(in, out, k, k, stride, pad, true, dtype, rng);
  }

  public int in() { return in; }

  public int out() { return out; }

  public int kh() { return kh; }

  public int kw() { return kw; }

  public int stride() { return stride; }

  public int pad() { return pad; }

  public Parameter weight() { return weight; }

  /** The bias, or null when the layer has none. */
  public Parameter bias() { return bias; }

  @Override
  public Tensor forward(Tensor x) {
    if (x.rank() != 4 || x.dim(1) != in) {
      throw new IllegalArgumentException(displayName() + " (Conv2d " + in + " -> " + out + "): input of shape " + Arrays.toString(x.shape()) + ", expected [N, " + in + ", H, W]");
    }
    Tensor y = Ops.conv2d(x, weight.value(), bias == null ? null : bias.value(), stride, pad);
    Capture.record(this, x, y);
    return y;
  }

  @Override
  public String toString() {
    return "Conv2d(" + in + ", " + out + ", kernel=" + kh + "x" + kw + ", stride=" + stride + ", pad=" + pad + (bias == null ? ", bias=false" : "") + ")";
  }
}
