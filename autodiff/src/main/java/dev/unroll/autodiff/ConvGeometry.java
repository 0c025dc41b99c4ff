package dev.unroll.autodiff;

/**
 * Geometry of a 2-D convolution or pooling window over NCHW input: kernel kh×kw, one stride and
 * one zero padding for both axes. Output size OH = (H + 2·pad − kh)/stride + 1, likewise OW.
 * im2col row index is (c·kh + u)·kw + v, column index is oy·OW + ox.
 */
public record ConvGeometry(int n, int c, int h, int w, int kh, int kw, int stride, int pad) {
  public ConvGeometry {
    if (kh < 1 || kw < 1 || stride < 1 || pad < 0) throw new IllegalArgumentException("bad convolution geometry: kernel " + kh + "x" + kw + ", stride " + stride + ", padding " + pad);
    if (h + 2 * pad < kh || w + 2 * pad < kw) throw new IllegalArgumentException("kernel " + kh + "x" + kw + " larger than padded input " + (h + 2 * pad) + "x" + (w + 2 * pad));
  }

  public int oh() { return (h + 2 * pad - kh) / stride + 1; }

  public int ow() { return (w + 2 * pad - kw) / stride + 1; }

  /** Rows of the column matrix: C·kh·kw. */
  public int rows() { return c * kh * kw; }

  /** Columns of the column matrix: OH·OW. */
  public int cols() { return oh() * ow(); }
}
