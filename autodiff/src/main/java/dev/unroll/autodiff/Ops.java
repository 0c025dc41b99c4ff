package dev.unroll.autodiff;

import static dev.unroll.autodiff.BinaryOp.ADD;
import static dev.unroll.autodiff.BinaryOp.MUL;

import java.util.Arrays;

/**
 * The table of differentiable ops. Each primitive states its forward (a backend kernel) and its
 * vector-Jacobian product together; the products are written with these same ops, so a backward
 * pass run with graph recording on is itself differentiable (gradients of gradients, Hessian-vector
 * products). Composite ops are plain compositions. Gradients that come out in a broadcast shape are
 * summed back to the input's shape once, by the engine ({@link Autograd}).
 */
public final class Ops {
  private Ops() {}

  private static Tensor record(Op op, Tensor out, Node.Backward rule, Tensor... inputs) {
    if (!GradMode.enabled()) return out;
    for (Tensor t : inputs) {
      if (t.requiresGrad) {
        out.node = new Node(op, inputs, rule);
        out.requiresGrad = true;
        return out;
      }
    }
    return out;
  }

  /** Applies a non-differentiable kernel (masks inside derivative rules). */
  private static Tensor constantUnary(UnaryOp op, Tensor x) {
    return Backends.dispatch(op.name(), x).unary(op, x);
  }

  // ------------------------------------------------------------------ elementwise arithmetic

  /** a + b (broadcast). ∂/∂a = g, ∂/∂b = g. */
  public static Tensor add(Tensor a, Tensor b) {
    Tensor out = Backends.dispatch("add", a, b).binary(ADD, a, b);
    return record(Op.ADD, out, g -> new Tensor[] {g, g}, a, b);
  }

  /** a − b. ∂/∂a = g, ∂/∂b = −g. */
  public static Tensor sub(Tensor a, Tensor b) {
    Tensor out = Backends.dispatch("sub", a, b).binary(BinaryOp.SUB, a, b);
    return record(Op.SUB, out, g -> new Tensor[] {g, neg(g)}, a, b);
  }

  /** a·b. ∂/∂a = g·b, ∂/∂b = g·a. */
  public static Tensor mul(Tensor a, Tensor b) {
    Tensor out = Backends.dispatch("mul", a, b).binary(MUL, a, b);
    return record(Op.MUL, out, g -> new Tensor[] {a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null}, a, b);
  }

  /** a / b. ∂/∂a = g / b, ∂/∂b = −g·a / b² = −g·(a/b) / b. */
  public static Tensor div(Tensor a, Tensor b) {
    Tensor out = Backends.dispatch("div", a, b).binary(BinaryOp.DIV, a, b);
    return record(Op.DIV, out, g -> new Tensor[] {
        a.requiresGrad ? div(g, b) : null,
        b.requiresGrad ? neg(div(mul(g, div(a, b)), b)) : null}, a, b);
  }

  /** −a. ∂/∂a = −g. */
  public static Tensor neg(Tensor a) {
    Tensor out = Backends.dispatch("neg", a).unary(UnaryOp.NEG, a);
    return record(Op.NEG, out, g -> new Tensor[] {neg(g)}, a);
  }

  /** aᵖ for a constant exponent p. ∂/∂a = g·p·aᵖ⁻¹. */
  public static Tensor pow(Tensor a, double p) {
    Tensor out = Backends.dispatch("pow", a).binary(BinaryOp.POW, a, a.constant(p));
    return record(Op.POW, out, g -> new Tensor[] {mul(g, mul(pow(a, p - 1), a.constant(p)))}, a);
  }

  /** eᵃ. ∂/∂a = g·eᵃ (the output itself). */
  public static Tensor exp(Tensor a) {
    Tensor out = Backends.dispatch("exp", a).unary(UnaryOp.EXP, a);
    return record(Op.EXP, out, g -> new Tensor[] {mul(g, out)}, a);
  }

  /** ln a. ∂/∂a = g / a. */
  public static Tensor log(Tensor a) {
    Tensor out = Backends.dispatch("log", a).unary(UnaryOp.LOG, a);
    return record(Op.LOG, out, g -> new Tensor[] {div(g, a)}, a);
  }

  /** √a. ∂/∂a = g / (2√a). */
  public static Tensor sqrt(Tensor a) {
    Tensor out = Backends.dispatch("sqrt", a).unary(UnaryOp.SQRT, a);
    return record(Op.SQRT, out, g -> new Tensor[] {div(g, mul(out, a.constant(2)))}, a);
  }

  /** tanh a. ∂/∂a = g·(1 − tanh² a). */
  public static Tensor tanh(Tensor a) {
    Tensor out = Backends.dispatch("tanh", a).unary(UnaryOp.TANH, a);
    return record(Op.TANH, out, g -> new Tensor[] {mul(g, sub(a.constant(1), mul(out, out)))}, a);
  }

  /** σ(a) = 1/(1 + e⁻ᵃ). ∂/∂a = g·σ(a)·(1 − σ(a)). */
  public static Tensor sigmoid(Tensor a) {
    Tensor out = Backends.dispatch("sigmoid", a).unary(UnaryOp.SIGMOID, a);
    return record(Op.SIGMOID, out, g -> new Tensor[] {mul(g, mul(out, sub(a.constant(1), out)))}, a);
  }

  /** max(a, 0). ∂/∂a = g·[a &gt; 0] (0 at the kink, like PyTorch). */
  public static Tensor relu(Tensor a) {
    Tensor out = Backends.dispatch("relu", a).unary(UnaryOp.RELU, a);
    return record(Op.RELU, out, g -> new Tensor[] {mulStep(g, a)}, a);
  }

  /**
   * g·[a &gt; 0] with the mask a constant: the product mul(g, step(a)) without forming the mask
   * (recorded as that MUL node would be, with g its only differentiable input). ∂/∂g = h·[a &gt; 0].
   */
  private static Tensor mulStep(Tensor g, Tensor a) {
    Tensor out = Backends.dispatch("relu", g, a).mulStep(g, a);
    return record(Op.MUL, out, h -> new Tensor[] {mulStep(h, a)}, g);
  }

  /** |a|. ∂/∂a = g·sign(a) (0 at 0). */
  public static Tensor abs(Tensor a) {
    Tensor out = Backends.dispatch("abs", a).unary(UnaryOp.ABS, a);
    return record(Op.ABS, out, g -> new Tensor[] {mul(g, constantUnary(UnaryOp.SIGN, a))}, a);
  }

  /**
   * softplus(a) = ln(1 + eᵃ), evaluated stably as max(a, 0) + ln(1 + e^−|a|). ∂/∂a = g·σ(a).
   */
  public static Tensor softplus(Tensor a) {
    Tensor out;
    try (var s = GradMode.off()) {
      Backend be = Backends.dispatch("softplus", a);
      Tensor tail = be.unary(UnaryOp.LOG1P, be.unary(UnaryOp.EXP, be.unary(UnaryOp.NEG, be.unary(UnaryOp.ABS, a))));
      out = be.binary(ADD, be.unary(UnaryOp.RELU, a), tail);
    }
    return record(Op.SOFTPLUS, out, g -> new Tensor[] {mul(g, sigmoid(a))}, a);
  }

  /**
   * GELU in its tanh form (PyTorch's approximate='tanh'):
   * ½·a·(1 + tanh(√(2/π)·(a + 0.044715·a³))). A composition, so all its derivatives follow.
   */
  public static Tensor gelu(Tensor a) {
    Tensor inner = mul(add(a, mul(pow(a, 3), a.constant(0.044715))), a.constant(Math.sqrt(2 / Math.PI)));
    return mul(mul(a, a.constant(0.5)), add(tanh(inner), a.constant(1)));
  }

  /** Type conversion. ∂/∂a = g converted back. */
  public static Tensor cast(Tensor a, DType t) {
    Tensor out = Backends.dispatch("cast", a).cast(a, t);
    return record(Op.CAST, out, g -> new Tensor[] {cast(g, a.dtype)}, a);
  }

  /** Moves a tensor to another device. ∂/∂a = g moved back. */
  public static Tensor transfer(Tensor a, Backend target) {
    Tensor cpu = a.backend.isCpu() ? a : a.backend.toCpu(a);
    Tensor out = target.isCpu() ? cpu.detach() : target.fromCpu(cpu);
    Backend origin = a.backend;
    return record(Op.TRANSFER, out, g -> new Tensor[] {transfer(g, origin)}, a);
  }

  // ------------------------------------------------------------------ linear algebra and views

  /**
   * Batched matrix product over the last two axes; batch axes broadcast.
   * ∂/∂a = g·bᵀ, ∂/∂b = aᵀ·g (summed over broadcast batch axes by the engine).
   */
  public static Tensor matmul(Tensor a, Tensor b) {
    if (a.rank() < 2 || b.rank() < 2) {
      throw new IllegalArgumentException("matmul needs operands of rank ≥ 2, got " + Shape.str(a.shape) + " and " + Shape.str(b.shape));
    }
    if (a.shape[a.rank() - 1] != b.shape[b.rank() - 2]) {
      throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shape.str(a.shape) + " · " + Shape.str(b.shape));
    }
    Tensor out = Backends.dispatch("matmul", a, b).matmul(a, b);
    // Each gradient is formed in its operand's memory layout: for a transposed operand (the Wᵀ of
    // x·Wᵀ) it is computed as the transpose of a row-major product, (gᵀ·a)ᵀ instead of aᵀ·g, so the
    // gradient that reaches W through the transpose is row-major and needs no strided copy or
    // strided accumulation downstream. Same products summed in the same order.
    boolean sameBatch = a.rank() == b.rank() && Arrays.equals(a.shape, 0, a.rank() - 2, b.shape, 0, b.rank() - 2);
    return record(Op.MATMUL, out, g -> new Tensor[] {
        !a.requiresGrad ? null : sameBatch && columnMajor(a) ? transpose(matmul(b, transpose(g, -2, -1)), -2, -1) : matmul(g, transpose(b, -2, -1)),
        !b.requiresGrad ? null : sameBatch && columnMajor(b) ? transpose(matmul(transpose(g, -2, -1), a), -2, -1) : matmul(transpose(a, -2, -1), g)}, a, b);
  }

  /** True when the last two axes of x are stored column by column (a transposed row-major matrix). */
  private static boolean columnMajor(Tensor x) {
    int r = x.rank();
    return x.strides[r - 2] == 1 && x.strides[r - 1] != 1 && x.shape[r - 1] != 1;
  }

  /** Axis permutation (a view): out.shape[i] = a.shape[p[i]]. ∂/∂a = g permuted by p⁻¹. */
  public static Tensor permute(Tensor a, int... p) {
    int r = a.rank();
    if (p.length != r) throw new IllegalArgumentException("permute: " + Arrays.toString(p) + " for rank " + r);
    int[] inv = new int[r];
    boolean[] seen = new boolean[r];
    int[] shape = new int[r], strides = new int[r];
    for (int i = 0; i < r; i++) {
      int ax = Shape.axis(p[i], r, "permute");
      if (seen[ax]) throw new IllegalArgumentException("permute: repeated axis in " + Arrays.toString(p));
      seen[ax] = true;
      inv[ax] = i;
      shape[i] = a.shape[ax];
      strides[i] = a.strides[ax];
    }
    Tensor out = new Tensor(a.dtype, shape, strides, a.offset, a.f, a.d, a.device, a.backend);
    return record(Op.PERMUTE, out, g -> new Tensor[] {permute(g, inv)}, a);
  }

  /** Swaps two axes (a view). */
  public static Tensor transpose(Tensor a, int i, int j) {
    int r = a.rank();
    int[] p = new int[r];
    for (int k = 0; k < r; k++) p[k] = k;
    int ii = Shape.axis(i, r, "transpose"), jj = Shape.axis(j, r, "transpose");
    p[ii] = jj;
    p[jj] = ii;
    return permute(a, p);
  }

  /** Same values, new shape (one entry may be −1). A view when a is contiguous. ∂/∂a = g reshaped back. */
  public static Tensor reshape(Tensor a, int... shape) {
    int[] s = shape.clone();
    int infer = -1, known = 1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1) {
        if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shape.str(shape));
        infer = i;
      } else known *= s[i];
    }
    int n = a.numel();
    if (infer >= 0) {
      if (known == 0 || n % known != 0) throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(a.shape) + " into " + Shape.str(shape));
      s[infer] = n / known;
    }
    if (Shape.numel(s) != n) throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(a.shape) + " (" + n + " elements) into " + Shape.str(shape));
    Tensor src = a.isContiguous() ? a : Backends.dispatch("reshape", a).contiguous(a);
    Tensor out = new Tensor(a.dtype, s, Shape.contiguousStrides(s), src.offset, src.f, src.d, src.device, src.backend);
    int[] back = a.shape;
    return record(Op.RESHAPE, out, g -> new Tensor[] {reshape(g, back)}, a);
  }

  /** Collapses axes from {@code fromAxis} on into one. */
  public static Tensor flatten(Tensor a, int fromAxis) {
    int f = Shape.axis(fromAxis, a.rank(), "flatten");
    int[] s = new int[f + 1];
    System.arraycopy(a.shape, 0, s, 0, f);
    s[f] = -1;
    if (a.numel() == 0) s[f] = 0;
    return reshape(a, s);
  }

  /** Broadcasts a to {@code shape} (a view with stride 0). ∂/∂a = g, summed back by the engine. */
  public static Tensor expand(Tensor a, int... shape) {
    int[] target = Shape.broadcast("expand", a.shape, shape);
    if (!Arrays.equals(target, shape)) throw new IllegalArgumentException("expand: cannot expand " + Shape.str(a.shape) + " to " + Shape.str(shape));
    Tensor out = new Tensor(a.dtype, target, Shape.broadcastStrides(a.shape, a.strides, target), a.offset, a.f, a.d, a.device, a.backend);
    return record(Op.EXPAND, out, g -> new Tensor[] {g}, a);
  }

  /** Elements [start, end) along axis (a view). ∂/∂a = g placed back into zeros. */
  public static Tensor slice(Tensor a, int axis, int start, int end) {
    int ax = Shape.axis(axis, a.rank(), "slice");
    int len = a.shape[ax];
    if (start < 0 || end > len || start > end) throw new IllegalArgumentException("slice: [" + start + ", " + end + ") out of range for axis " + ax + " of " + Shape.str(a.shape));
    int[] s = a.shape.clone();
    s[ax] = end - start;
    Tensor out = new Tensor(a.dtype, s, a.strides, a.offset + start * a.strides[ax], a.f, a.d, a.device, a.backend);
    return record(Op.SLICE, out, g -> new Tensor[] {pad(g, ax, start, len)}, a);
  }

  /** Places a into zeros along axis at [before, before + len), total length total. ∂/∂a = slice of g. */
  public static Tensor pad(Tensor a, int axis, int before, int total) {
    int ax = Shape.axis(axis, a.rank(), "pad");
    int len = a.shape[ax];
    if (before < 0 || before + len > total) throw new IllegalArgumentException("pad: cannot place " + len + " elements at " + before + " in " + total);
    Tensor out = Backends.dispatch("pad", a).pad(a, ax, before, total);
    return record(Op.PAD, out, g -> new Tensor[] {slice(g, ax, before, before + len)}, a);
  }

  /** Concatenation along axis. ∂/∂xᵢ = the matching slice of g. */
  public static Tensor concat(int axis, Tensor... xs) {
    if (xs.length == 0) throw new IllegalArgumentException("concat of no tensors");
    int ax = Shape.axis(axis, xs[0].rank(), "concat");
    Backend be = Backends.dispatch("concat", xs[0]);
    for (Tensor x : xs) {
      Backends.dispatch("concat", xs[0], x);
      if (x.rank() != xs[0].rank()) throw new IllegalArgumentException("concat: ranks differ: " + Shape.str(xs[0].shape) + " and " + Shape.str(x.shape));
      for (int i = 0; i < x.rank(); i++) {
        if (i != ax && x.shape[i] != xs[0].shape[i]) throw new IllegalArgumentException("concat along axis " + ax + ": shapes " + Shape.str(xs[0].shape) + " and " + Shape.str(x.shape) + " differ elsewhere");
      }
    }
    Tensor out = be.concat(ax, xs);
    return record(Op.CONCAT, out, g -> {
      Tensor[] gs = new Tensor[xs.length];
      int at = 0;
      for (int i = 0; i < xs.length; i++) {
        int len = xs[i].shape[ax];
        gs[i] = xs[i].requiresGrad ? slice(g, ax, at, at + len) : null;
        at += len;
      }
      return gs;
    }, xs);
  }

  /** A row-major copy. ∂/∂a = g. */
  public static Tensor contiguous(Tensor a) {
    Tensor out = Backends.dispatch("contiguous", a).contiguous(a);
    return record(Op.CONTIGUOUS, out, g -> new Tensor[] {g}, a);
  }

  // ------------------------------------------------------------------ indexing

  /**
   * out[o, j, i] = a[o, index[o, j, i], i] along axis (PyTorch's gather); index has a's shape except
   * along axis. ∂/∂a = scatter-add of g at the same positions.
   */
  public static Tensor gather(Tensor a, int axis, int[] index, int[] indexShape) {
    int ax = Shape.axis(axis, a.rank(), "gather");
    checkIndexShape("gather", a.shape, ax, index, indexShape);
    Tensor out = Backends.dispatch("gather", a).gather(a, ax, index, indexShape);
    int[] shape = a.shape;
    return record(Op.GATHER, out, g -> new Tensor[] {scatterAdd(g, ax, index, shape)}, a);
  }

  /** The adjoint of gather: zeros of outShape with src added at the indexed positions. ∂/∂src = gather of g. */
  public static Tensor scatterAdd(Tensor src, int axis, int[] index, int[] outShape) {
    int ax = Shape.axis(axis, src.rank(), "scatterAdd");
    checkIndexShape("scatterAdd", outShape, ax, index, src.shape);
    Tensor out = Backends.dispatch("scatterAdd", src).scatterAdd(src, ax, index, outShape);
    int[] ishape = src.shape;
    return record(Op.SCATTER_ADD, out, g -> new Tensor[] {gather(g, ax, index, ishape)}, src);
  }

  private static void checkIndexShape(String op, int[] shape, int ax, int[] index, int[] ishape) {
    if (ishape.length != shape.length) throw new IllegalArgumentException(op + ": index shape " + Shape.str(ishape) + " and tensor shape " + Shape.str(shape) + " differ in rank");
    for (int i = 0; i < shape.length; i++) {
      if (i != ax && ishape[i] != shape[i]) throw new IllegalArgumentException(op + ": index shape " + Shape.str(ishape) + " must equal " + Shape.str(shape) + " except along axis " + ax);
    }
    if (index.length != Shape.numel(ishape)) throw new IllegalArgumentException(op + ": " + index.length + " indices for index shape " + Shape.str(ishape));
    for (int v : index) {
      if (v < 0 || v >= shape[ax]) throw new IndexOutOfBoundsException(op + ": index " + v + " out of range [0, " + shape[ax] + ") along axis " + ax + " of " + Shape.str(shape));
    }
  }

  /** The entries {@code indices} along axis (a composition of gather). */
  public static Tensor indexSelect(Tensor a, int axis, int... indices) {
    int ax = Shape.axis(axis, a.rank(), "indexSelect");
    int[] ishape = a.shape.clone();
    ishape[ax] = indices.length;
    int outer = 1, inner = 1;
    for (int i = 0; i < ax; i++) outer *= ishape[i];
    for (int i = ax + 1; i < ishape.length; i++) inner *= ishape[i];
    int[] index = new int[Shape.numel(ishape)];
    int p = 0;
    for (int o = 0; o < outer; o++) for (int j = 0; j < indices.length; j++) for (int i = 0; i < inner; i++) index[p++] = indices[j];
    return gather(a, ax, index, ishape);
  }

  /** mask ? a : b with mask a constant 0/1 tensor. ∂/∂a = mask ? g : 0, ∂/∂b = mask ? 0 : g. */
  public static Tensor where(Tensor mask, Tensor a, Tensor b) {
    Backend be = Backends.dispatch("where", a, b);
    Backends.dispatch("where", mask, a);
    Tensor out = be.where(mask, a, b);
    return record(Op.WHERE, out, g -> {
      Tensor zero = g.constant(0);
      return new Tensor[] {a.requiresGrad ? where(mask, g, zero) : null, b.requiresGrad ? where(mask, zero, g) : null};
    }, a, b);
  }

  // ------------------------------------------------------------------ reductions

  /** Σ over axes (all when none given). ∂/∂a = g broadcast back over the reduced axes. */
  public static Tensor sum(Tensor a, boolean keepDims, int... axes) {
    int[] ax = Shape.axes(axes, a.rank(), "sum");
    Tensor kept = Backends.dispatch("sum", a).reduce(ADD, a, ax);
    Tensor out = keepDims ? kept : dropAxes(kept, ax);
    int[] keptShape = kept.shape, shape = a.shape;
    return record(Op.SUM, out, g -> new Tensor[] {expand(reshape(g, keptShape), shape)}, a);
  }

  /** Mean over axes: Σ / count. */
  public static Tensor mean(Tensor a, boolean keepDims, int... axes) {
    int[] ax = Shape.axes(axes, a.rank(), "mean");
    long count = 1;
    for (int i : ax) count *= a.shape[i];
    return mul(sum(a, keepDims, ax), a.constant(1.0 / count));
  }

  /**
   * Maximum over axes. ∂/∂a = g at the positions equal to the maximum, split evenly between ties
   * (the mask is a constant, so the rule is exact wherever the argmax is unique).
   */
  public static Tensor max(Tensor a, boolean keepDims, int... axes) {
    int[] ax = Shape.axes(axes, a.rank(), "max");
    Backend be = Backends.dispatch("max", a);
    Tensor kept = be.reduce(BinaryOp.MAX, a, ax);
    Tensor out = keepDims ? kept : dropAxes(kept, ax);
    int[] keptShape = kept.shape;
    return record(Op.MAX, out, g -> {
      Backend b = Backends.dispatch("max", a);
      Tensor mask = b.binary(BinaryOp.EQ, a, kept);
      Tensor share = b.binary(BinaryOp.DIV, mask, b.reduce(ADD, mask, ax));
      return new Tensor[] {mul(reshape(g, keptShape), share)};
    }, a);
  }

  private static Tensor dropAxes(Tensor kept, int[] axes) {
    int[] s = new int[kept.rank() - axes.length];
    int k = 0;
    outer:
    for (int i = 0; i < kept.rank(); i++) {
      for (int a : axes) if (a == i) continue outer;
      s[k++] = kept.shape[i];
    }
    return new Tensor(kept.dtype, s, Shape.contiguousStrides(s), kept.offset, kept.f, kept.d, kept.device, kept.backend);
  }

  /** log Σ exp over axis, stabilised by the (constant) maximum: m + log Σ exp(a − m). */
  public static Tensor logsumexp(Tensor a, int axis, boolean keepDims) {
    int ax = Shape.axis(axis, a.rank(), "logsumexp");
    Tensor m;
    try (var s = GradMode.off()) {
      m = max(a, true, ax);
      // An all −∞ row would give −∞ − (−∞) = NaN; shifting by 0 there keeps the result −∞.
      Backend be = Backends.dispatch("logsumexp", m);
      Tensor finite = be.binary(BinaryOp.EQ, be.unary(UnaryOp.ABS, m), m.constant(Double.POSITIVE_INFINITY));
      m = be.where(finite, m.constant(0), m);
    }
    Tensor out = add(log(sum(exp(sub(a, m)), true, ax)), m);
    return keepDims ? out : reshape(out, dropAxes(out, new int[] {ax}).shape);
  }

  /** log softmax along axis: a − logsumexp(a). */
  public static Tensor logSoftmax(Tensor a, int axis) {
    return sub(a, logsumexp(a, axis, true));
  }

  /** softmax along axis: exp(log softmax). */
  public static Tensor softmax(Tensor a, int axis) {
    return exp(logSoftmax(a, axis));
  }

  // ------------------------------------------------------------------ convolution and pooling

  /** Patches as columns, [N, C, H, W] to [N, C·kh·kw, OH·OW]. ∂/∂x = col2im(g). */
  public static Tensor im2col(Tensor x, ConvGeometry geo) {
    checkNchw("im2col", x, geo);
    Tensor out = Backends.dispatch("im2col", x).im2col(x, geo);
    return record(Op.IM2COL, out, g -> new Tensor[] {col2im(g, geo)}, x);
  }

  /** The adjoint of im2col. ∂/∂cols = im2col(g). */
  public static Tensor col2im(Tensor cols, ConvGeometry geo) {
    int[] want = {geo.n(), geo.rows(), geo.cols()};
    if (!Arrays.equals(cols.shape, want)) throw new IllegalArgumentException("col2im: columns of shape " + Shape.str(cols.shape) + ", expected " + Shape.str(want));
    Tensor out = Backends.dispatch("col2im", cols).col2im(cols, geo);
    return record(Op.COL2IM, out, g -> new Tensor[] {im2col(g, geo)}, cols);
  }

  private static void checkNchw(String op, Tensor x, ConvGeometry g) {
    int[] want = {g.n(), g.c(), g.h(), g.w()};
    if (!Arrays.equals(x.shape, want)) throw new IllegalArgumentException(op + ": input of shape " + Shape.str(x.shape) + ", expected [N, C, H, W] = " + Shape.str(want));
  }

  /**
   * 2-D convolution (cross-correlation, as in PyTorch) of x [N, C, H, W] with weight [O, C, kh, kw]
   * and optional bias [O]: im2col, then W·cols. Output [N, O, OH, OW].
   */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int pad) {
    if (x.rank() != 4 || weight.rank() != 4 || x.shape[1] != weight.shape[1]) {
      throw new IllegalArgumentException("conv2d: input " + Shape.str(x.shape) + " and weight " + Shape.str(weight.shape) + " do not match ([N, C, H, W] and [O, C, kh, kw])");
    }
    ConvGeometry geo = new ConvGeometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], weight.shape[2], weight.shape[3], stride, pad);
    int o = weight.shape[0];
    Tensor cols = im2col(x, geo);
    Tensor y = matmul(reshape(weight, o, geo.rows()), cols);
    if (bias != null) y = add(y, reshape(bias, o, 1));
    return reshape(y, geo.n(), o, geo.oh(), geo.ow());
  }

  /** Max pooling with a k×k window: im2col per channel, then max over the window. */
  public static Tensor maxPool2d(Tensor x, int k, int stride) {
    return pool(x, k, stride, true);
  }

  /** Average pooling with a k×k window (no padding): im2col per channel, then the mean over the window. */
  public static Tensor avgPool2d(Tensor x, int k, int stride) {
    return pool(x, k, stride, false);
  }

  private static Tensor pool(Tensor x, int k, int stride, boolean isMax) {
    if (x.rank() != 4) throw new IllegalArgumentException("pool2d: input of shape " + Shape.str(x.shape) + ", expected [N, C, H, W]");
    int n = x.shape[0], c = x.shape[1];
    ConvGeometry geo = new ConvGeometry(n * c, 1, x.shape[2], x.shape[3], k, k, stride, 0);
    Tensor cols = im2col(reshape(x, n * c, 1, x.shape[2], x.shape[3]), geo);
    Tensor r = isMax ? max(cols, false, 1) : mean(cols, false, 1);
    return reshape(r, n, c, geo.oh(), geo.ow());
  }

  // ------------------------------------------------------------------ losses (per example)

  /** Per-example squared error: mean over all non-batch axes of (pred − target)², shape [B]. */
  public static Tensor mseLoss(Tensor pred, Tensor target) {
    if (!Arrays.equals(pred.shape, target.shape)) throw new IllegalArgumentException("mseLoss: prediction " + Shape.str(pred.shape) + " and target " + Shape.str(target.shape) + " differ");
    Tensor d = sub(pred, target);
    Tensor sq = mul(d, d);
    if (sq.rank() == 1) return sq;
    int[] axes = new int[sq.rank() - 1];
    for (int i = 0; i < axes.length; i++) axes[i] = i + 1;
    return mean(sq, false, axes);
  }

  /** Per-example softmax cross-entropy −log softmax(logits)[label], logits [B, C], shape [B]. */
  public static Tensor crossEntropy(Tensor logits, int[] labels) {
    if (logits.rank() != 2 || labels.length != logits.shape[0]) {
      throw new IllegalArgumentException("crossEntropy: logits " + Shape.str(logits.shape) + " need shape [B, C] with B = " + labels.length + " labels");
    }
    Tensor picked = gather(logSoftmax(logits, 1), 1, labels, new int[] {labels.length, 1});
    return neg(reshape(picked, labels.length));
  }
}
