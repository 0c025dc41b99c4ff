package dev.unroll.autodiff;

/**
 * The device seam: forward kernels on tensors of one device. {@link Ops} records derivatives on
 * top of these, so a backend never deals with gradients. Implementations: {@link CpuBackend} over
 * {@link CpuKernels#SCALAR} (the oracle) or {@link SimdKernels} (the default), and the OpenCL
 * backend. Every method returns a new tensor object (possibly a view sharing storage) and never
 * mutates its inputs, except {@link #copyInto}.
 */
public interface Backend {
  String name();

  /** True when tensors of this backend keep their values in Java arrays. */
  boolean isCpu();

  /** A CPU copy of a tensor of this backend. */
  Tensor toCpu(Tensor x);

  /** This backend's copy of a CPU tensor. */
  Tensor fromCpu(Tensor x);

  /** y = op(x) elementwise. */
  Tensor unary(UnaryOp op, Tensor x);

  /** z = op(a, b) elementwise with NumPy broadcasting. */
  Tensor binary(BinaryOp op, Tensor a, Tensor b);

  /**
   * g·[x &gt; 0] elementwise with broadcasting (ReLU's vector-Jacobian product). The default forms
   * the 0/1 mask and multiplies; a backend may fuse the two and skip the mask tensor, with the same
   * result bit for bit.
   */
  default Tensor mulStep(Tensor g, Tensor x) {
    return binary(BinaryOp.MUL, g, unary(UnaryOp.STEP, x));
  }

  /** Batched matrix product over the last two axes, [..., m, k]·[..., k, n], batch axes broadcast. */
  Tensor matmul(Tensor a, Tensor b);

  /** Reduction by ADD (sum) or MAX over {@code axes} (sorted, distinct), keeping them as size 1. */
  Tensor reduce(BinaryOp op, Tensor x, int[] axes);

  /** A row-major copy of x. */
  Tensor contiguous(Tensor x);

  /** x converted to dtype t. */
  Tensor cast(Tensor x, DType t);

  /** mask ? a : b elementwise, all three broadcast; mask holds 0 or 1. */
  Tensor where(Tensor mask, Tensor a, Tensor b);

  /**
   * out[o, j, i] = x[o, index[o, j, i], i] where axis splits shapes into (outer o, axis, inner i);
   * {@code indexShape} equals x's shape except along {@code axis}.
   */
  Tensor gather(Tensor x, int axis, int[] index, int[] indexShape);

  /** The adjoint of gather: out = zeros(outShape); out[o, index[o, j, i], i] += src[o, j, i]. */
  Tensor scatterAdd(Tensor src, int axis, int[] index, int[] outShape);

  /** Concatenation along {@code axis}. */
  Tensor concat(int axis, Tensor[] xs);

  /** zeros with x placed at [before, before + x.shape[axis]) along axis, total length {@code total}. */
  Tensor pad(Tensor x, int axis, int before, int total);

  /** Image patches as columns: [N, C, H, W] to [N, C·kh·kw, OH·OW] (see {@link ConvGeometry}). */
  Tensor im2col(Tensor x, ConvGeometry g);

  /** The adjoint of im2col: columns summed back into [N, C, H, W]. */
  Tensor col2im(Tensor cols, ConvGeometry g);

  /** dst ← src, same shape and dtype, dst contiguous. */
  void copyInto(Tensor src, Tensor dst);
}
