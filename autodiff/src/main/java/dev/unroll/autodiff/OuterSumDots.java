package dev.unroll.autodiff;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * Inner products of query matrices with per-example sums of outer products, on the CPU: for query
 * matrices U_q [X, Y] stored as the rows of u [Q, X·Y] (row q holds U_q row-major) and C pairs of
 * factor matrices x_c [B, X], y_c [B, Y],
 * <pre>
 *   d[q, n] = ⟨U_q, Σ_c x_c[n] y_c[n]ᵀ⟩ = Σ_{i,j} U_q[i, j]·Σ_c x_c[n, i]·y_c[n, j].
 * </pre>
 * This is how the per-example gradient of a Linear layer (g āᵀ, C = 1) or its sum over several
 * parameter values (Σ_c g_c ā_cᵀ, as SOURCE averages over a segment's checkpoints) meets
 * preconditioned query gradients without the [B, X·Y] per-example matrices being formed: it is the
 * GEMM u·Gᵀ with G[n, (i, j)] = Σ_c x_c[n, i]·y_c[n, j], whose operand G is computed block by block
 * straight into the packed panels the micro-kernel reads ({@link Gemm32#macro}). A sum of C outer
 * products then costs one GEMM, not C of them.
 *
 * <p>Each element of d is one multiply-add chain over the depth in blocks, in the order of
 * {@link SimdGemm}'s blocked path, so the result does not depend on the thread count; an element
 * of G is x_0·y_0 rounded once, then one fused multiply-add per further pair.
 */
public final class OuterSumDots {
  private OuterSumDots() {}

  /** Multiply-adds from which the columns (or rows) are split among threads. */
  static final long PARALLEL_MIN_WORK = 1L << 21;

  /** Each thread's transposed factors for its band of columns, reused across calls. */
  private static final ThreadLocal<float[]> F_FACTORS = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<double[]> D_FACTORS = ThreadLocal.withInitial(() -> new double[0]);

  /**
   * Depth of a packed block of G, and of the blocks in which {@link Queries} stores u (both dtypes).
   * Deeper than {@link Gemm32#KC}: each depth block packs its block of G from the factors and
   * writes C out and reads it back, so fewer, deeper blocks cost less around the same arithmetic
   * (on Concrete's 103 queries of 128 × 128 a depth of 128 was clearly slower than 256–1024, which
   * were close to each other; {@code ScoringKernelBench} times the kernel as chosen).
   */
  static final int KC = 1024;

  /** Rows of u per group of the micro-kernel: {@link Queries} pads Q to a multiple, so that no row group takes the four-row kernel. */
  static final int ROWS = 2 * Gemm32.MR;

  /**
   * Query matrices U_q [X, Y] prepared once to be scored against many batches: u [Q, X·Y] stored
   * depth block by depth block (columns [p, p + KC) of all Q rows together, row-major), so that
   * the block of u the micro-kernel sweeps is contiguous. Read in place with a row stride of X·Y,
   * u's rows sit a power of two apart for the usual layer widths and the block of 103 rows that
   * should stay in L2 evicted itself. Q is padded with zero rows to a multiple of {@link #ROWS}.
   */
  public static final class Queries {
    private final Tensor blocked;
    private final int q, nx, ny;

    private Queries(Tensor blocked, int q, int nx, int ny) {
      this.blocked = blocked;
      this.q = q;
      this.nx = nx;
      this.ny = ny;
    }

    /**
     * u [Q, X, Y] (or [Q, X·Y] with the given X and Y) on the CPU, float32 or float64, copied into
     * the blocked layout in its own dtype. Any strides are read directly as long as each row of
     * U_q (the last axis of a [Q, X, Y] view) is contiguous, such as the permuted view [Q, in, out]
     * of queries formed transposed as [in, Q·out]: one copy, not a transposition and then a copy.
     *
     * @throws IllegalArgumentException when the shape does not hold Q matrices of X × Y, or the dtype or backend is not supported
     */
    public static Queries of(Tensor u, int nx, int ny) {
      if (u.rank() < 2 || u.dim(0) < 0 || u.numel() != (long) u.dim(0) * nx * ny) {
        throw new IllegalArgumentException("OuterSumDots: queries " + Shape.str(u.shape()) + " do not hold matrices of " + nx + " × " + ny);
      }
      if (!u.backend().isCpu()) throw new IllegalArgumentException("OuterSumDots runs on the CPU; queries are on " + u.backend().name());
      if (u.dtype() != DType.F32 && u.dtype() != DType.F64) throw new IllegalArgumentException("OuterSumDots: queries of dtype " + u.dtype() + "; float32 or float64 expected");
      int q = u.dim(0), k = nx * ny, qp = roundUp(q, ROWS);
      // Element (r, i, j) of u at c.offset + r·sq + i·sx + j.
      Tensor c = u.rank() == 3 && u.dim(1) == nx && u.strides[2] == 1 ? u : u.contiguous().reshape(q, nx, ny);
      int sq = c.strides[0], sx = c.strides[1];
      Object src = c.dtype() == DType.F64 ? c.d : c.f;
      Object dst = c.dtype() == DType.F64 ? new double[qp * k] : new float[qp * k];
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        for (int r = 0; r < q; r++) {
          // Runs of constant i within the block: contiguous in the source.
          for (int p = pc, o = qp * pc + r * kc; p < pc + kc; ) {
            int i = p / ny, j = p - i * ny, run = Math.min(ny - j, pc + kc - p);
            System.arraycopy(src, c.offset + r * sq + i * sx + j, dst, o, run);
            p += run;
            o += run;
          }
        }
      }
      Tensor blocked = dst instanceof double[] dd ? Tensor.of(dd, qp, k) : Tensor.of((float[]) dst, qp, k);
      return new Queries(blocked, q, nx, ny);
    }

    /**
     * The entries of query matrices, supplied row by row for {@link #build}: row i of U_r, its Y
     * values, written into {@code row} (length Y) in float64.
     */
    @FunctionalInterface
    public interface RowSource {
      void fill(int r, int i, double[] row);
    }

    /**
     * Q query matrices of X × Y supplied row by row by {@code source}, written straight into the
     * blocked layout in {@code dtype} (each float64 value rounded once), the queries split among
     * threads: the [Q, X, Y] tensor that {@link #of} would copy is never formed.
     *
     * @throws IllegalArgumentException when a size is negative or the dtype is not float32 or float64
     */
    public static Queries build(int q, int nx, int ny, DType dtype, RowSource source) {
      if (q < 0 || nx < 0 || ny < 0) throw new IllegalArgumentException("OuterSumDots: " + q + " query matrices of " + nx + " × " + ny);
      if (dtype != DType.F32 && dtype != DType.F64) throw new IllegalArgumentException("OuterSumDots: queries of dtype " + dtype + "; float32 or float64 expected");
      int k = nx * ny, qp = roundUp(q, ROWS);
      double[] dd = dtype == DType.F64 ? new double[qp * k] : null;
      float[] ff = dd == null ? new float[qp * k] : null;
      Parallel.forChunks(q, r -> {
        double[] row = new double[ny];
        for (int i = 0; i < nx; i++) {
          source.fill(r, i, row);
          // The row's depth range [i·Y, (i+1)·Y) may cross into the next depth block.
          for (int j = 0; j < ny; ) {
            int p = i * ny + j, pc = p / KC * KC, kc = Math.min(KC, k - pc), run = Math.min(ny - j, pc + kc - p);
            int o = qp * pc + r * kc + (p - pc);
            if (dd != null) System.arraycopy(row, j, dd, o, run);
            else for (int t = 0; t < run; t++) ff[o + t] = (float) row[j + t];
            j += run;
          }
        }
      });
      return new Queries(dd != null ? Tensor.of(dd, qp, k) : Tensor.of(ff, qp, k), q, nx, ny);
    }

    /** Q, the number of query matrices. */
    public int rows() {
      return q;
    }

    /** X, the rows of each query matrix. */
    public int matrixRows() {
      return nx;
    }

    /** Y, the columns of each query matrix. */
    public int matrixColumns() {
      return ny;
    }

    /** The same queries in {@code dtype} (this object when it is already that dtype): each element converted once. */
    public Queries to(DType dtype) {
      return dtype == dtype() ? this : new Queries(blocked.to(dtype).contiguous(), q, nx, ny);
    }

    /** u as [Q, X, Y], row-major (a copy out of the blocked layout). */
    public Tensor toTensor() {
      int k = nx * ny, qp = blocked.dim(0);
      boolean f64 = dtype() == DType.F64;
      Object src = f64 ? blocked.d : blocked.f, dst = f64 ? new double[q * k] : new float[q * k];
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        for (int r = 0; r < q; r++) System.arraycopy(src, blocked.offset + qp * pc + r * kc, dst, r * k + pc, kc);
      }
      return f64 ? Tensor.of((double[]) dst, q, nx, ny) : Tensor.of((float[]) dst, q, nx, ny);
    }

    public DType dtype() {
      return blocked.dtype();
    }
  }

  /**
   * d [Q, B] in the operands' dtype, d[q, n] = Σ_{i,j} U_q[i, j]·Σ_c x[c][n, i]·y[c][n, j].
   *
   * @throws IllegalArgumentException when the shapes or dtypes disagree, no pair is given, or an operand is not on a CPU backend
   */
  public static Tensor compute(Queries u, Tensor[] x, Tensor[] y) {
    if (x.length == 0 || x.length != y.length) throw new IllegalArgumentException("OuterSumDots: " + x.length + " left and " + y.length + " right factors; expected as many, at least one");
    int b = x[0].rank() == 2 ? x[0].dim(0) : -1, nx = u.nx, ny = u.ny;
    for (int c = 0; c < x.length; c++) {
      if (x[c].rank() != 2 || y[c].rank() != 2 || x[c].dim(0) != b || y[c].dim(0) != b || x[c].dim(1) != nx || y[c].dim(1) != ny) {
        throw new IllegalArgumentException("OuterSumDots: factor pair " + c + " is " + Shape.str(x[c].shape()) + " and " + Shape.str(y[c].shape())
            + " for query matrices of " + nx + " × " + ny + "; expected [B, " + nx + "] and [B, " + ny + "] with one B");
      }
      if (x[c].dtype() != u.dtype() || y[c].dtype() != u.dtype()) throw new IllegalArgumentException("OuterSumDots: factor pair " + c + " is " + x[c].dtype() + "/" + y[c].dtype() + ", queries are " + u.dtype());
      if (!x[c].backend().isCpu() || !y[c].backend().isCpu()) throw new IllegalArgumentException("OuterSumDots runs on the CPU; factor pair " + c + " is on " + x[c].backend().name());
    }
    // The padding rows (zero queries) are computed with the others and dropped.
    int q = u.q, qp = u.blocked.dim(0);
    Tensor uc = u.blocked;
    if (u.dtype() == DType.F64) {
      double[][] xs = new double[x.length][], ys = new double[x.length][];
      int[] xo = new int[x.length], yo = new int[x.length];
      for (int c = 0; c < x.length; c++) {
        Tensor xc = x[c].contiguous(), yc = y[c].contiguous();
        xs[c] = xc.d;
        xo[c] = xc.offset;
        ys[c] = yc.d;
        yo[c] = yc.offset;
      }
      double[] d = new double[qp * b];
      if (b > 0 && nx * ny > 0) run(uc.d, uc.offset, qp, nx, ny, xs, xo, ys, yo, b, d);
      return Tensor.of(qp == q ? d : java.util.Arrays.copyOf(d, q * b), q, b);
    }
    float[][] xs = new float[x.length][], ys = new float[x.length][];
    int[] xo = new int[x.length], yo = new int[x.length];
    for (int c = 0; c < x.length; c++) {
      Tensor xc = x[c].contiguous(), yc = y[c].contiguous();
      xs[c] = xc.f;
      xo[c] = xc.offset;
      ys[c] = yc.f;
      yo[c] = yc.offset;
    }
    float[] d = new float[qp * b];
    if (b > 0 && nx * ny > 0) run(uc.f, uc.offset, qp, nx, ny, xs, xo, ys, yo, b, d);
    return Tensor.of(qp == q ? d : java.util.Arrays.copyOf(d, q * b), q, b);
  }

  /** A rectangle of d: rows [i0, i1) × columns [j0, j1). */
  private interface Block {
    void run(int i0, int i1, int j0, int j1);
  }

  /**
   * d [q, b] split among threads: by bands of whole column panels (nr columns) when there are at least as many
   * examples as queries, else by bands of whole row groups; on one thread below
   * {@link #PARALLEL_MIN_WORK} multiply-adds. Each element is computed the same way in any band.
   */
  private static void split(int q, int b, int k, int nr, Block body) {
    long work = (long) q * b * k;
    int threads = work < PARALLEL_MIN_WORK ? 1 : Parallel.threads();
    boolean byColumns = b >= q;
    int chunks = Math.min(threads, byColumns ? (b + nr - 1) / nr : q / ROWS);
    if (chunks <= 1) {
      body.run(0, q, 0, b);
      return;
    }
    Parallel.forChunks(chunks, threads, ch -> {
      if (byColumns) {
        int j0 = Parallel.rangeStart(b, chunks, nr, ch), j1 = Parallel.rangeStart(b, chunks, nr, ch + 1);
        if (j0 < j1) body.run(0, q, j0, j1);
      } else {
        int i0 = Parallel.rangeStart(q, chunks, ROWS, ch), i1 = Parallel.rangeStart(q, chunks, ROWS, ch + 1);
        if (i0 < i1) body.run(i0, i1, 0, b);
      }
    });
  }

  /**
   * float32 d[q·b + n] for u at uOff ([q, nx·ny] in the depth-blocked layout of {@link Queries}, q a
   * multiple of eight) and factors x_c at xs[c][xo[c]] ([b, nx]), y_c likewise ([b, ny]).
   */
  static void run(float[] u, int uOff, int q, int nx, int ny, float[][] xs, int[] xo, float[][] ys, int[] yo, int b, float[] d) {
    split(q, b, nx * ny, Gemm32.NR, (i0, i1, j0, j1) -> blocks(u, uOff, q, i0, i1, j0, j1, nx, ny, xs, xo, ys, yo, d, b));
  }

  /**
   * Rows [i0, i1) × columns [j0, j1) of d, depth block by depth block. The factors' columns
   * [j0, j1) are first transposed into this thread's buffer, panel by panel (w columns in whole
   * panels, zero-padded): a packed panel's column is then one vector load of each factor. Each
   * panel is packed just before the row groups sweep it, so it is still in cache for them (packing
   * all of a wide band first, megabytes of it, sent the panels out to L3 and back).
   */
  private static void blocks(float[] u, int uOff, int q, int i0, int i1, int j0, int j1, int nx, int ny,
      float[][] xs, int[] xo, float[][] ys, int[] yo, float[] d, int ldc) {
    int pairs = xs.length, w = roundUp(j1 - j0, Gemm32.NR), k = nx * ny;
    int size = pairs * (nx + ny) * w;
    float[] t = F_FACTORS.get();
    if (t.length < size) F_FACTORS.set(t = new float[size]);
    for (int c = 0; c < pairs; c++) {
      transpose(xs[c], xo[c], j0, j1, nx, t, c * (nx + ny) * w, 0, nx + ny, Gemm32.NR);
      transpose(ys[c], yo[c], j0, j1, ny, t, c * (nx + ny) * w, nx, nx + ny, Gemm32.NR);
    }
    Gemm32.Scratch s = Gemm32.SCRATCH.get();
    float[] bp = s.b(KC * Gemm32.NR);
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      for (int jr = 0; jr < w; jr += Gemm32.NR) {
        pack(t, w, pairs, nx, ny, pc, kc, bp, jr);
        Gemm32.macro(false, i0, i1, j0 + jr, Math.min(Gemm32.NR, j1 - j0 - jr), pc, kc, u, uOff + (q - 1) * pc, kc, bp, d, 0, ldc, pc > 0, s);
      }
    }
  }

  /**
   * Packs rows [pc, pc+kc) of Gᵀ for the buffer's NR columns from jr, G[n, i·ny + j] = Σ_c x_c[n, i]·y_c[n, j],
   * into one panel as {@link Gemm32#macro} reads it; the panel's lane e of x_c is
   * t[c·(nx+ny)·w + jr·(nx+ny) + i·NR + e], of y_c the same at row nx + j. One and two pairs (an influence function; SOURCE's default
   * two checkpoints per segment) are written out; more add into the panel pair by pair.
   */
  private static void pack(float[] t, int w, int pairs, int nx, int ny, int pc, int kc, float[] bp, int jr) {
    int l = Gemm32.L, nr = Gemm32.NR, stride = (nx + ny) * w;
    // Runs of constant i: the x vectors are loaded once per run, the y rows walk down the buffer.
    for (int p = 0, dst = 0; p < kc; ) {
      int i = (pc + p) / ny, j = pc + p - i * ny, run = Math.min(ny - j, kc - p);
      int xi = jr * (nx + ny) + i * nr;
      FloatVector x0 = FloatVector.fromArray(Gemm32.S, t, xi), x1 = FloatVector.fromArray(Gemm32.S, t, xi + l);
      if (pairs == 1) {
        for (int e = 0, yi = jr * (nx + ny) + (nx + j) * nr; e < run; e++, yi += nr, dst += nr) {
          x0.mul(FloatVector.fromArray(Gemm32.S, t, yi)).intoArray(bp, dst);
          x1.mul(FloatVector.fromArray(Gemm32.S, t, yi + l)).intoArray(bp, dst + l);
        }
      } else {
        FloatVector z0 = FloatVector.fromArray(Gemm32.S, t, stride + xi), z1 = FloatVector.fromArray(Gemm32.S, t, stride + xi + l);
        for (int e = 0, yi = jr * (nx + ny) + (nx + j) * nr; e < run; e++, yi += nr, dst += nr) {
          z0.fma(FloatVector.fromArray(Gemm32.S, t, stride + yi), x0.mul(FloatVector.fromArray(Gemm32.S, t, yi))).intoArray(bp, dst);
          z1.fma(FloatVector.fromArray(Gemm32.S, t, stride + yi + l), x1.mul(FloatVector.fromArray(Gemm32.S, t, yi + l))).intoArray(bp, dst + l);
        }
      }
      p += run;
    }
    for (int c = 2, o = 2 * stride; c < pairs; c++, o += stride) {
      for (int p = 0, dst = 0; p < kc; ) {
        int i = (pc + p) / ny, j = pc + p - i * ny, run = Math.min(ny - j, kc - p);
        int xi = o + jr * (nx + ny) + i * nr;
        FloatVector x0 = FloatVector.fromArray(Gemm32.S, t, xi), x1 = FloatVector.fromArray(Gemm32.S, t, xi + l);
        for (int e = 0, yi = o + jr * (nx + ny) + (nx + j) * nr; e < run; e++, yi += nr, dst += nr) {
          x0.fma(FloatVector.fromArray(Gemm32.S, t, yi), FloatVector.fromArray(Gemm32.S, bp, dst)).intoArray(bp, dst);
          x1.fma(FloatVector.fromArray(Gemm32.S, t, yi + l), FloatVector.fromArray(Gemm32.S, bp, dst + l)).intoArray(bp, dst + l);
        }
        p += run;
      }
    }
  }

  /**
   * Columns [j0, j1) of m (row n, the factor of example n, at mOff + n·cols) into t panel by panel:
   * feature i of example j0 + p + e (p a multiple of nr, e &lt; nr) at t[tOff + p·rows + (row0 + i)·nr + e],
   * each panel holding {@code rows} rows of nr lanes; the lanes past j1 are zeroed. A panel's
   * factors are then contiguous, and packing it reads them in order.
   */
  private static void transpose(float[] m, int mOff, int j0, int j1, int cols, float[] t, int tOff, int row0, int rows, int nr) {
    int n = j1 - j0;
    for (int p = 0; p < n; p += nr) {
      int lanes = Math.min(nr, n - p), base = tOff + p * rows + row0 * nr;
      for (int e = 0; e < lanes; e++) {
        int src = mOff + (j0 + p + e) * cols;
        for (int i = 0; i < cols; i++) t[base + i * nr + e] = m[src + i];
      }
      if (lanes < nr) for (int i = 0; i < cols; i++) java.util.Arrays.fill(t, base + i * nr + lanes, base + (i + 1) * nr, 0f);
    }
  }

  /**
   * float64 d[q·b + n] for u at uOff ([q, nx·ny] in the depth-blocked layout of {@link Queries}, q a
   * multiple of eight) and factors x_c at xs[c][xo[c]] ([b, nx]), y_c likewise ([b, ny]).
   */
  static void run(double[] u, int uOff, int q, int nx, int ny, double[][] xs, int[] xo, double[][] ys, int[] yo, int b, double[] d) {
    split(q, b, nx * ny, Gemm64.NR, (i0, i1, j0, j1) -> blocks(u, uOff, q, i0, i1, j0, j1, nx, ny, xs, xo, ys, yo, d, b));
  }

  /**
   * Rows [i0, i1) × columns [j0, j1) of d, depth block by depth block. The factors' columns
   * [j0, j1) are first transposed into this thread's buffer, panel by panel (w columns in whole
   * panels, zero-padded): a packed panel's column is then one vector load of each factor. Each
   * panel is packed just before the row groups sweep it, so it is still in cache for them (packing
   * all of a wide band first, megabytes of it, sent the panels out to L3 and back).
   */
  private static void blocks(double[] u, int uOff, int q, int i0, int i1, int j0, int j1, int nx, int ny,
      double[][] xs, int[] xo, double[][] ys, int[] yo, double[] d, int ldc) {
    int pairs = xs.length, w = roundUp(j1 - j0, Gemm64.NR), k = nx * ny;
    int size = pairs * (nx + ny) * w;
    double[] t = D_FACTORS.get();
    if (t.length < size) D_FACTORS.set(t = new double[size]);
    for (int c = 0; c < pairs; c++) {
      transpose(xs[c], xo[c], j0, j1, nx, t, c * (nx + ny) * w, 0, nx + ny, Gemm64.NR);
      transpose(ys[c], yo[c], j0, j1, ny, t, c * (nx + ny) * w, nx, nx + ny, Gemm64.NR);
    }
    Gemm64.Scratch s = Gemm64.SCRATCH.get();
    double[] bp = s.b(KC * Gemm64.NR);
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      for (int jr = 0; jr < w; jr += Gemm64.NR) {
        pack(t, w, pairs, nx, ny, pc, kc, bp, jr);
        Gemm64.macro(false, i0, i1, j0 + jr, Math.min(Gemm64.NR, j1 - j0 - jr), pc, kc, u, uOff + (q - 1) * pc, kc, bp, d, 0, ldc, pc > 0, s);
      }
    }
  }

  /**
   * Packs rows [pc, pc+kc) of Gᵀ for the buffer's NR columns from jr, G[n, i·ny + j] = Σ_c x_c[n, i]·y_c[n, j],
   * into one panel as {@link Gemm64#macro} reads it; the panel's lane e of x_c is
   * t[c·(nx+ny)·w + jr·(nx+ny) + i·NR + e], of y_c the same at row nx + j. One and two pairs (an influence function; SOURCE's default
   * two checkpoints per segment) are written out; more add into the panel pair by pair.
   */
  private static void pack(double[] t, int w, int pairs, int nx, int ny, int pc, int kc, double[] bp, int jr) {
    int l = Gemm64.L, nr = Gemm64.NR, stride = (nx + ny) * w;
    // Runs of constant i: the x vectors are loaded once per run, the y rows walk down the buffer.
    for (int p = 0, dst = 0; p < kc; ) {
      int i = (pc + p) / ny, j = pc + p - i * ny, run = Math.min(ny - j, kc - p);
      int xi = jr * (nx + ny) + i * nr;
      DoubleVector x0 = DoubleVector.fromArray(Gemm64.S, t, xi), x1 = DoubleVector.fromArray(Gemm64.S, t, xi + l);
      if (pairs == 1) {
        for (int e = 0, yi = jr * (nx + ny) + (nx + j) * nr; e < run; e++, yi += nr, dst += nr) {
          x0.mul(DoubleVector.fromArray(Gemm64.S, t, yi)).intoArray(bp, dst);
          x1.mul(DoubleVector.fromArray(Gemm64.S, t, yi + l)).intoArray(bp, dst + l);
        }
      } else {
        DoubleVector z0 = DoubleVector.fromArray(Gemm64.S, t, stride + xi), z1 = DoubleVector.fromArray(Gemm64.S, t, stride + xi + l);
        for (int e = 0, yi = jr * (nx + ny) + (nx + j) * nr; e < run; e++, yi += nr, dst += nr) {
          z0.fma(DoubleVector.fromArray(Gemm64.S, t, stride + yi), x0.mul(DoubleVector.fromArray(Gemm64.S, t, yi))).intoArray(bp, dst);
          z1.fma(DoubleVector.fromArray(Gemm64.S, t, stride + yi + l), x1.mul(DoubleVector.fromArray(Gemm64.S, t, yi + l))).intoArray(bp, dst + l);
        }
      }
      p += run;
    }
    for (int c = 2, o = 2 * stride; c < pairs; c++, o += stride) {
      for (int p = 0, dst = 0; p < kc; ) {
        int i = (pc + p) / ny, j = pc + p - i * ny, run = Math.min(ny - j, kc - p);
        int xi = o + jr * (nx + ny) + i * nr;
        DoubleVector x0 = DoubleVector.fromArray(Gemm64.S, t, xi), x1 = DoubleVector.fromArray(Gemm64.S, t, xi + l);
        for (int e = 0, yi = o + jr * (nx + ny) + (nx + j) * nr; e < run; e++, yi += nr, dst += nr) {
          x0.fma(DoubleVector.fromArray(Gemm64.S, t, yi), DoubleVector.fromArray(Gemm64.S, bp, dst)).intoArray(bp, dst);
          x1.fma(DoubleVector.fromArray(Gemm64.S, t, yi + l), DoubleVector.fromArray(Gemm64.S, bp, dst + l)).intoArray(bp, dst + l);
        }
        p += run;
      }
    }
  }

  /**
   * Columns [j0, j1) of m (row n, the factor of example n, at mOff + n·cols) into t panel by panel:
   * feature i of example j0 + p + e (p a multiple of nr, e &lt; nr) at t[tOff + p·rows + (row0 + i)·nr + e],
   * each panel holding {@code rows} rows of nr lanes; the lanes past j1 are zeroed. A panel's
   * factors are then contiguous, and packing it reads them in order.
   */
  private static void transpose(double[] m, int mOff, int j0, int j1, int cols, double[] t, int tOff, int row0, int rows, int nr) {
    int n = j1 - j0;
    for (int p = 0; p < n; p += nr) {
      int lanes = Math.min(nr, n - p), base = tOff + p * rows + row0 * nr;
      for (int e = 0; e < lanes; e++) {
        int src = mOff + (j0 + p + e) * cols;
        for (int i = 0; i < cols; i++) t[base + i * nr + e] = m[src + i];
      }
      if (lanes < nr) for (int i = 0; i < cols; i++) java.util.Arrays.fill(t, base + i * nr + lanes, base + (i + 1) * nr, 0.0);
    }
  }

  private static int roundUp(int x, int m) {
    return (x + m - 1) / m * m;
  }
}
