package dev.unroll.autodiff;

import java.util.Arrays;

/**
 * A backend over Java arrays. Layout work (broadcasting, strides, axis bookkeeping) is done here
 * once; the arithmetic runs in a {@link CpuKernels} implementation on contiguous or strided runs.
 * Dimensions that are laid out contiguously for every operand are coalesced, so a broadcast bias
 * add or a contiguous map becomes one or a few long runs.
 */
public final class CpuBackend implements Backend {
  private final CpuKernels k;

  public CpuBackend(CpuKernels kernels) {
    this.k = kernels;
  }

  public CpuKernels kernels() {
    return k;
  }

  @Override
  public String name() {
    return "cpu-" + k.name();
  }

  @Override
  public boolean isCpu() {
    return true;
  }

  @Override
  public Tensor toCpu(Tensor x) {
    return x;
  }

  @Override
  public Tensor fromCpu(Tensor x) {
    return x;
  }

  private Tensor alloc(DType t, int[] shape) {
    int n = Shape.numel(shape);
    return t == DType.F64
        ? new Tensor(t, shape, Shape.contiguousStrides(shape), 0, null, new double[n], null, this)
        : new Tensor(t, shape, Shape.contiguousStrides(shape), 0, new float[n], null, null, this);
  }

  // ------------------------------------------------------------------ strided iteration

  /**
   * Iterates a shape in row-major order as runs along its (coalesced) last axis. For each run it
   * reports the starting offset of every operand and the run's strides.
   */
  private interface RunBody {
    void run(int[] offs, int[] innerStrides, int n);
  }

  /** strides[o][d] for operand o; offsets base[o]. Output operands must be contiguous in shape. */
  private static void forEachRun(int[] shape, int[][] strides, int[] base, RunBody body) {
    int ops = strides.length;
    // Coalesce: drop size-1 axes, merge axis i into i+1 when every operand is contiguous across them.
    int[] s = new int[shape.length];
    int[][] st = new int[ops][shape.length];
    int r = 0;
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == 1) continue;
      if (r > 0) {
        boolean merge = true;
        for (int o = 0; o < ops && merge; o++) merge = st[o][r - 1] == strides[o][d] * shape[d];
        if (merge) {
          s[r - 1] *= shape[d];
          for (int o = 0; o < ops; o++) st[o][r - 1] = strides[o][d];
          continue;
        }
      }
      s[r] = shape[d];
      for (int o = 0; o < ops; o++) st[o][r] = strides[o][d];
      r++;
    }
    for (int d = 0; d < shape.length; d++) if (shape[d] == 0) return;
    int[] inner = new int[ops];
    int[] offs = base.clone();
    if (r == 0) {
      body.run(offs, inner, 1);
      return;
    }
    for (int o = 0; o < ops; o++) inner[o] = st[o][r - 1];
    int n = s[r - 1];
    int[] idx = new int[r - 1];
    while (true) {
      body.run(offs, inner, n);
      int d = r - 2;
      while (d >= 0) {
        idx[d]++;
        for (int o = 0; o < ops; o++) offs[o] += st[o][d];
        if (idx[d] < s[d]) break;
        for (int o = 0; o < ops; o++) offs[o] -= st[o][d] * s[d];
        idx[d] = 0;
        d--;
      }
      if (d < 0) return;
    }
  }

  /**
   * Elementwise work of at least this many elements is split over the kernel threads: below it the
   * hand-off costs more than a second core saves; above it such ops are bound by memory bandwidth,
   * which one core does not saturate (a per-example gradient batch writes gigabytes).
   */
  static final int PARALLEL_MIN = 1 << 16;

  /**
   * {@link #forEachRun} split along axis 0 into contiguous blocks, one chunk each, when the shape is
   * large and the calling thread may use more than one kernel thread. Every element is computed by
   * the same kernel on the same inputs either way, so the result does not depend on the split.
   */
  private static void forEachRunParallel(int[] shape, int[][] strides, int[] base, RunBody body) {
    int threads = Parallel.threads();
    if (threads <= 1 || shape.length == 0 || shape[0] < 2 || Shape.numel(shape) < PARALLEL_MIN) {
      forEachRun(shape, strides, base, body);
      return;
    }
    int chunks = Math.min(shape[0], 2 * threads);
    Parallel.forChunks(chunks, c -> {
      int lo = Parallel.rangeStart(shape[0], chunks, 1, c), hi = Parallel.rangeStart(shape[0], chunks, 1, c + 1);
      if (lo == hi) return;
      int[] sub = shape.clone();
      sub[0] = hi - lo;
      int[] b = base.clone();
      for (int o = 0; o < b.length; o++) b[o] += lo * strides[o][0];
      forEachRun(sub, strides, b, body);
    });
  }

  // ------------------------------------------------------------------ elementwise

  @Override
  public Tensor unary(UnaryOp op, Tensor x) {
    Tensor y = alloc(x.dtype, x.shape.clone());
    if (x.isContiguous()) {
      int[] flat = {y.numel()};
      forEachRunParallel(flat, new int[][] {{1}, {1}}, new int[] {x.offset, 0}, (o, s, n) -> {
        if (x.dtype == DType.F64) k.unary(op, x.d, o[0], 1, y.d, o[1], n);
        else k.unary(op, x.f, o[0], 1, y.f, o[1], n);
      });
      return y;
    }
    forEachRunParallel(x.shape, new int[][] {x.strides, y.strides}, new int[] {x.offset, 0}, (o, s, n) -> {
      if (x.dtype == DType.F64) k.unary(op, x.d, o[0], s[0], y.d, o[1], n);
      else k.unary(op, x.f, o[0], s[0], y.f, o[1], n);
    });
    return y;
  }

  @Override
  public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
    int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shape, b.shape);
    Tensor z = alloc(a.dtype, shape);
    int[] sa = Shape.broadcastStrides(a.shape, a.strides, shape);
    int[] sb = Shape.broadcastStrides(b.shape, b.strides, shape);
    forEachRunParallel(shape, new int[][] {sa, sb, z.strides}, new int[] {a.offset, b.offset, 0}, (o, s, n) -> {
      if (a.dtype == DType.F64) k.binary(op, a.d, o[0], s[0], b.d, o[1], s[1], z.d, o[2], n);
      else k.binary(op, a.f, o[0], s[0], b.f, o[1], s[1], z.f, o[2], n);
    });
    return z;
  }

  /** Fused for contiguous operands of one shape ({@link CpuKernels#mulStep}); otherwise the mask product. */
  @Override
  public Tensor mulStep(Tensor g, Tensor x) {
    if (g.dtype != x.dtype || !Arrays.equals(g.shape, x.shape) || !g.isContiguous() || !x.isContiguous()) {
      return binary(BinaryOp.MUL, g, unary(UnaryOp.STEP, x));
    }
    Tensor z = alloc(g.dtype, g.shape.clone());
    forEachRunParallel(new int[] {z.numel()}, new int[][] {{1}, {1}, {1}}, new int[] {g.offset, x.offset, 0}, (o, s, n) -> {
      if (g.dtype == DType.F64) k.mulStep(g.d, o[0], x.d, o[1], z.d, o[2], n);
      else k.mulStep(g.f, o[0], x.f, o[1], z.f, o[2], n);
    });
    return z;
  }

  @Override
  public Tensor contiguous(Tensor x) {
    Tensor y = alloc(x.dtype, x.shape.clone());
    copyInto(x, y);
    return y;
  }

  @Override
  public void copyInto(Tensor src, Tensor dst) {
    if (src.dtype != dst.dtype || !Arrays.equals(src.shape, dst.shape)) throw new IllegalArgumentException("copyInto: " + src.dtype + Shape.str(src.shape) + " into " + dst.dtype + Shape.str(dst.shape));
    Tensor s = src.cpu();
    forEachRunParallel(s.shape, new int[][] {s.strides, dst.strides}, new int[] {s.offset, dst.offset}, (o, st, n) -> {
      if (st[0] == 1 && st[1] == 1) {
        if (s.dtype == DType.F64) System.arraycopy(s.d, o[0], dst.d, o[1], n);
        else System.arraycopy(s.f, o[0], dst.f, o[1], n);
      } else if (s.dtype == DType.F64) {
        for (int i = 0; i < n; i++) dst.d[o[1] + i * st[1]] = s.d[o[0] + i * st[0]];
      } else {
        for (int i = 0; i < n; i++) dst.f[o[1] + i * st[1]] = s.f[o[0] + i * st[0]];
      }
    });
  }

  @Override
  public Tensor cast(Tensor x, DType t) {
    Tensor c = x.isContiguous() ? x : contiguous(x);
    Tensor y = alloc(t, x.shape.clone());
    int n = y.numel();
    if (t == DType.F64) for (int i = 0; i < n; i++) y.d[i] = c.f[c.offset + i];
    else for (int i = 0; i < n; i++) y.f[i] = (float) c.d[c.offset + i];
    return y;
  }

  @Override
  public Tensor where(Tensor mask, Tensor a, Tensor b) {
    int[] shape = Shape.broadcast("where", Shape.broadcast("where", mask.shape, a.shape), b.shape);
    Tensor z = alloc(a.dtype, shape);
    int[] sm = Shape.broadcastStrides(mask.shape, mask.strides, shape);
    int[] sa = Shape.broadcastStrides(a.shape, a.strides, shape);
    int[] sb = Shape.broadcastStrides(b.shape, b.strides, shape);
    forEachRun(shape, new int[][] {sm, sa, sb, z.strides}, new int[] {mask.offset, a.offset, b.offset, 0}, (o, s, n) -> {
      for (int i = 0; i < n; i++) {
        int mi = o[0] + i * s[0], ai = o[1] + i * s[1], bi = o[2] + i * s[2], zi = o[3] + i;
        if (a.dtype == DType.F64) z.d[zi] = mask.d[mi] != 0 ? a.d[ai] : b.d[bi];
        else z.f[zi] = mask.f[mi] != 0 ? a.f[ai] : b.f[bi];
      }
    });
    return z;
  }

  // ------------------------------------------------------------------ matmul

  @Override
  public Tensor matmul(Tensor a, Tensor b) {
    int ra = a.rank(), rb = b.rank();
    int m = a.shape[ra - 2], kk = a.shape[ra - 1], n = b.shape[rb - 1];
    int[] batchA = Arrays.copyOf(a.shape, ra - 2), batchB = Arrays.copyOf(b.shape, rb - 2);
    int[] batch = Shape.broadcast("matmul", batchA, batchB);
    int[] outShape = Arrays.copyOf(batch, batch.length + 2);
    outShape[batch.length] = m;
    outShape[batch.length + 1] = n;
    Tensor c = alloc(a.dtype, outShape);
    // A stack of row-major matrices times one matrix: fold the batch into the rows of one GEMM.
    if (rb == 2 && ra > 2 && a.isContiguous()) {
      int rows = a.numel() / kk;
      gemm(a, false, a.offset, kk, b, rows, n, kk, c, 0);
      return c;
    }
    Tensor aa = matrixOperand(a), bb = matrixOperand(b);
    boolean ta = isTransposed(aa), tb = isTransposed(bb);
    int lda = ta ? aa.strides[ra - 1] : aa.strides[ra - 2];
    int ldb = tb ? bb.strides[rb - 1] : bb.strides[rb - 2];
    int[] sa = Shape.broadcastStrides(batchA, Arrays.copyOf(aa.strides, ra - 2), batch);
    int[] sb = Shape.broadcastStrides(batchB, Arrays.copyOf(bb.strides, rb - 2), batch);
    int count = Shape.numel(batch);
    int[] offA = new int[count], offB = new int[count];
    int[] idx = new int[batch.length];
    for (int bi = 0; bi < count; bi++) {
      int oa = aa.offset, ob = bb.offset;
      for (int d = 0; d < batch.length; d++) {
        oa += idx[d] * sa[d];
        ob += idx[d] * sb[d];
      }
      offA[bi] = oa;
      offB[bi] = ob;
      for (int d = batch.length - 1; d >= 0; d--) {
        if (++idx[d] < batch[d]) break;
        idx[d] = 0;
      }
    }
    // Many products: one per thread at a time, each on one thread, rather than every small product
    // split over the threads with a hand-off each (the GEMM's bits do not depend on its thread count).
    int chunks = Math.min(count, 4 * Parallel.threads());
    Parallel.forChunks(chunks, ch -> {
      for (int bi = Parallel.rangeStart(count, chunks, 1, ch), end = Parallel.rangeStart(count, chunks, 1, ch + 1); bi < end; bi++) {
        gemmStrided(aa, ta, offA[bi], lda, bb, tb, offB[bi], ldb, m, n, kk, c, bi * m * n);
      }
    });
    return c;
  }

  /** A matrix operand whose last two axes have unit stride in one of them (else a copy). */
  private Tensor matrixOperand(Tensor x) {
    int r = x.rank();
    int rows = x.shape[r - 2], cols = x.shape[r - 1];
    // A leading dimension shorter than the run (e.g. stride 0 from expand) cannot be passed to GEMM.
    boolean rowMajor = (x.strides[r - 1] == 1 || cols == 1) && (x.strides[r - 2] >= cols || rows == 1);
    boolean colMajor = (x.strides[r - 2] == 1 || rows == 1) && (x.strides[r - 1] >= rows || cols == 1);
    return rowMajor || colMajor ? x : contiguous(x);
  }

  private static boolean isTransposed(Tensor x) {
    int r = x.rank();
    return !(x.strides[r - 1] == 1 || x.shape[r - 1] == 1);
  }

  private void gemm(Tensor a, boolean ta, int oa, int lda, Tensor b, int m, int n, int kk, Tensor c, int oc) {
    Tensor bb = matrixOperand(b);
    boolean tb = isTransposed(bb);
    int ldb = tb ? bb.strides[1] : bb.strides[0];
    gemmStrided(a, ta, oa, lda, bb, tb, bb.offset, ldb, m, n, kk, c, oc);
  }

  private void gemmStrided(Tensor a, boolean ta, int oa, int lda, Tensor b, boolean tb, int ob, int ldb, int m, int n, int kk, Tensor c, int oc) {
    // Leading dimensions must be at least the row length even for degenerate size-1 axes.
    lda = Math.max(lda, ta ? m : kk);
    ldb = Math.max(ldb, tb ? kk : n);
    if (c.dtype == DType.F64) k.gemm(ta, tb, m, n, kk, a.d, oa, lda, b.d, ob, ldb, c.d, oc, n, false);
    else k.gemm(ta, tb, m, n, kk, a.f, oa, lda, b.f, ob, ldb, c.f, oc, n, false);
  }

  // ------------------------------------------------------------------ reductions

  @Override
  public Tensor reduce(BinaryOp op, Tensor x, int[] axes) {
    if (op != BinaryOp.ADD && op != BinaryOp.MAX) throw new IllegalArgumentException("reduce by " + op);
    int r = x.rank();
    int[] outShape = x.shape.clone();
    boolean[] red = new boolean[r];
    for (int a : axes) {
      red[a] = true;
      outShape[a] = 1;
    }
    if (x.numel() == 0) throw new IllegalArgumentException("reduction over an empty tensor of shape " + Shape.str(x.shape));
    // Move reduced axes last; then each output element reduces one contiguous block.
    int[] perm = new int[r];
    int p = 0;
    for (int i = 0; i < r; i++) if (!red[i]) perm[p++] = i;
    for (int i = 0; i < r; i++) if (red[i]) perm[p++] = i;
    Tensor out = alloc(x.dtype, outShape);
    int rows = out.numel(), len = x.numel() / rows;
    boolean leading = true;
    for (int i = 0; i < r; i++) if (red[i] && i >= axes.length) leading = false;
    if (leading && x.isContiguous() && len > 1 && rows > 1) {
      // Reducing leading axes of a contiguous tensor: accumulate whole rows (e.g. bias gradients).
      copyRow(x, x.offset, out, rows);
      for (int j = 1; j < len; j++) accumulateRow(op, x, x.offset + j * rows, out, rows);
      return out;
    }
    boolean trailing = true;
    for (int i = 0; i < r; i++) if (perm[i] != i) trailing = false;
    Tensor src = trailing && x.isContiguous() ? x : contiguous(permuteView(x, perm));
    for (int i = 0; i < rows; i++) {
      int off = src.offset + i * len;
      if (x.dtype == DType.F64) out.d[i] = op == BinaryOp.ADD ? k.sum(src.d, off, len) : k.max(src.d, off, len);
      else out.f[i] = op == BinaryOp.ADD ? k.sum(src.f, off, len) : k.max(src.f, off, len);
    }
    return out;
  }

  private static void copyRow(Tensor x, int off, Tensor out, int n) {
    if (x.dtype == DType.F64) System.arraycopy(x.d, off, out.d, 0, n);
    else System.arraycopy(x.f, off, out.f, 0, n);
  }

  private void accumulateRow(BinaryOp op, Tensor x, int off, Tensor out, int n) {
    if (x.dtype == DType.F64) k.accumulate(op, x.d, off, out.d, 0, n);
    else k.accumulate(op, x.f, off, out.f, 0, n);
  }

  private static Tensor permuteView(Tensor x, int[] perm) {
    int[] s = new int[perm.length], st = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      s[i] = x.shape[perm[i]];
      st[i] = x.strides[perm[i]];
    }
    return new Tensor(x.dtype, s, st, x.offset, x.f, x.d, x.device, x.backend);
  }

  // ------------------------------------------------------------------ indexing

  /** Sizes before, along and after an axis. */
  private static int[] split(int[] shape, int axis) {
    int outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= shape[i];
    for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    return new int[] {outer, shape[axis], inner};
  }

  @Override
  public Tensor gather(Tensor x, int axis, int[] index, int[] indexShape) {
    Tensor c = x.isContiguous() ? x : contiguous(x);
    Tensor out = alloc(x.dtype, indexShape.clone());
    int[] xs = split(x.shape, axis), is = split(indexShape, axis);
    int len = xs[1], k2 = is[1], inner = is[2];
    for (int o = 0; o < is[0]; o++) {
      for (int j = 0; j < k2; j++) {
        for (int i = 0; i < inner; i++) {
          int p = (o * k2 + j) * inner + i;
          int src = c.offset + (o * len + index[p]) * inner + i;
          if (x.dtype == DType.F64) out.d[p] = c.d[src];
          else out.f[p] = c.f[src];
        }
      }
    }
    return out;
  }

  @Override
  public Tensor scatterAdd(Tensor src, int axis, int[] index, int[] outShape) {
    Tensor c = src.isContiguous() ? src : contiguous(src);
    Tensor out = alloc(src.dtype, outShape.clone());
    int[] os = split(outShape, axis), is = split(src.shape, axis);
    int len = os[1], k2 = is[1], inner = is[2];
    for (int o = 0; o < is[0]; o++) {
      for (int j = 0; j < k2; j++) {
        for (int i = 0; i < inner; i++) {
          int p = (o * k2 + j) * inner + i;
          int dst = (o * len + index[p]) * inner + i;
          if (src.dtype == DType.F64) out.d[dst] += c.d[c.offset + p];
          else out.f[dst] += c.f[c.offset + p];
        }
      }
    }
    return out;
  }

  @Override
  public Tensor concat(int axis, Tensor[] xs) {
    int[] shape = xs[0].shape.clone();
    int total = 0;
    for (Tensor x : xs) total += x.shape[axis];
    shape[axis] = total;
    Tensor out = alloc(xs[0].dtype, shape);
    int at = 0;
    for (Tensor x : xs) {
      copyInto(x, sliceView(out, axis, at, x.shape[axis]));
      at += x.shape[axis];
    }
    return out;
  }

  @Override
  public Tensor pad(Tensor x, int axis, int before, int total) {
    int[] shape = x.shape.clone();
    shape[axis] = total;
    Tensor out = alloc(x.dtype, shape);
    copyInto(x, sliceView(out, axis, before, x.shape[axis]));
    return out;
  }

  private static Tensor sliceView(Tensor t, int axis, int start, int len) {
    int[] s = t.shape.clone();
    s[axis] = len;
    return new Tensor(t.dtype, s, t.strides, t.offset + start * t.strides[axis], t.f, t.d, t.device, t.backend);
  }

  // ------------------------------------------------------------------ convolution

  @Override
  public Tensor im2col(Tensor x, ConvGeometry g) {
    Tensor c = x.isContiguous() ? x : contiguous(x);
    Tensor out = alloc(x.dtype, new int[] {g.n(), g.rows(), g.cols()});
    int oh = g.oh(), ow = g.ow(), hw = g.h() * g.w(), cols = g.cols();
    for (int n = 0; n < g.n(); n++) {
      for (int ch = 0; ch < g.c(); ch++) {
        int inBase = c.offset + (n * g.c() + ch) * hw;
        for (int u = 0; u < g.kh(); u++) {
          for (int v = 0; v < g.kw(); v++) {
            int row = (ch * g.kh() + u) * g.kw() + v;
            int outBase = (n * g.rows() + row) * cols;
            for (int oy = 0; oy < oh; oy++) {
              int iy = oy * g.stride() - g.pad() + u;
              for (int ox = 0; ox < ow; ox++) {
                int ix = ox * g.stride() - g.pad() + v;
                boolean inside = iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                int dst = outBase + oy * ow + ox;
                if (x.dtype == DType.F64) out.d[dst] = inside ? c.d[inBase + iy * g.w() + ix] : 0;
                else out.f[dst] = inside ? c.f[inBase + iy * g.w() + ix] : 0f;
              }
            }
          }
        }
      }
    }
    return out;
  }

  @Override
  public Tensor col2im(Tensor cols, ConvGeometry g) {
    Tensor c = cols.isContiguous() ? cols : contiguous(cols);
    Tensor out = alloc(cols.dtype, new int[] {g.n(), g.c(), g.h(), g.w()});
    int oh = g.oh(), ow = g.ow(), hw = g.h() * g.w(), ncols = g.cols();
    for (int n = 0; n < g.n(); n++) {
      for (int ch = 0; ch < g.c(); ch++) {
        int outBase = (n * g.c() + ch) * hw;
        for (int u = 0; u < g.kh(); u++) {
          for (int v = 0; v < g.kw(); v++) {
            int row = (ch * g.kh() + u) * g.kw() + v;
            int inBase = c.offset + (n * g.rows() + row) * ncols;
            for (int oy = 0; oy < oh; oy++) {
              int iy = oy * g.stride() - g.pad() + u;
              if (iy < 0 || iy >= g.h()) continue;
              for (int ox = 0; ox < ow; ox++) {
                int ix = ox * g.stride() - g.pad() + v;
                if (ix < 0 || ix >= g.w()) continue;
                int dst = outBase + iy * g.w() + ix;
                if (cols.dtype == DType.F64) out.d[dst] += c.d[inBase + oy * ow + ox];
                else out.f[dst] += c.f[inBase + oy * ow + ox];
              }
            }
          }
        }
      }
    }
    return out;
  }
}
