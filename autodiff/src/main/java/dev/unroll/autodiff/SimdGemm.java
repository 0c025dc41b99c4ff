package dev.unroll.autodiff;

/**
 * Vector API GEMM, float32 and float64: row-major C[m×n] = op(A)·op(B), plus the old C when
 * {@code accumulate}, with exactly the operand conventions of {@link ScalarKernels#gemm}.
 *
 * <p>Problems of at least {@link #BLOCKED_MIN_WORK} multiply-adds run packed and cache-blocked on a
 * register-tiled micro-kernel (four rows × two vectors of C, fused multiply-adds) and, from
 * {@link #PARALLEL_MIN_WORK}, on {@link Parallel#threads()} threads, each owning a band of columns
 * (or of rows, when C is taller than wide); below that, with B row-major, whole micro-tile columns
 * and a B that stays in cache, the same loops read both operands where they lie instead of packing
 * them. Smaller problems, and a C narrower than one vector whose elements are dot products of
 * contiguous runs, take an unpacked vectorized path.
 *
 * <p>Results are deterministic: the path depends only on the sizes and layout (never on the thread
 * count), and on the blocked path each element of C is summed in the same order whatever its band,
 * so the result is bit-identical for any thread count. It differs from the scalar reference by rounding only (the sums are fused and
 * blocked over p).
 */
public final class SimdGemm {
  private SimdGemm() {}

  /** Multiply-adds (m·n·k) from which the packed, blocked path beats the unpacked one. */
  static final long BLOCKED_MIN_WORK = 2048;
  /** Multiply-adds from which splitting over threads repays waking them (about 50 µs of work on one core). */
  static final long PARALLEL_MIN_WORK = 1L << 21;
  /** Widest C (columns) computed as dot products when its elements are dot products of contiguous runs. */
  static final int DOT_MAX_N = 2;
  /** Depths below which the unpacked path beats packing: the packed panel would be used for too few steps. */
  static final int SMALL_MAX_K = 16;
  /**
   * Most rows for which a short depth takes the unpacked path: with more rows the strips' per-row
   * write-out outweighs packing (measured: 32×8×128 faster unpacked, 128×10×256 faster blocked).
   */
  static final int SMALL_MAX_M = 64;
  /** Widest C, in vectors, computed in unpacked strips ({@link Gemm32#strips}) whatever the problem size. */
  static final int STRIPS_MAX_VECTORS = 1;
  /** Largest B (elements) read in place by the blocked path's loops: it stays in L2 across the row groups. */
  static final long IN_PLACE_MAX_B = 1 << 15;
  /** Largest transposed B (elements) copied whole for the strips. */
  static final long STRIPS_MAX_PACKED = 1 << 20;

  /** float32 C (+)= op(A)·op(B) on {@link Parallel#threads()} threads; see {@link ScalarKernels#gemm}. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
    if (m == 0 || n == 0) return;
    if (k == 0) {
      if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
      return;
    }
    long work = (long) m * n * k;
    int t = work < PARALLEL_MIN_WORK ? 1 : Parallel.threads();
    if (n <= DOT_MAX_N && dotProducts(transA, transB, ldb)) {
      Gemm32.dots(transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    if (n <= STRIPS_MAX_VECTORS * Gemm32.L && (!transB || (long) k * n <= STRIPS_MAX_PACKED)
        || t == 1 && (work < BLOCKED_MIN_WORK || m < Gemm32.MR || k < SMALL_MAX_K && m <= SMALL_MAX_M)) {
      int[] at = new int[2];
      float[] bp = Gemm32.stripB(transB, n, k, b, bOff, ldb, at);
      int chunks = Math.min(t, (m + 7) / 8);
      if (chunks <= 1) {
        Gemm32.strips(transA, 0, m, n, k, a, aOff, lda, bp, at[0], at[1], c, cOff, ldc, accumulate);
      } else {
        Parallel.forChunks(chunks, t, ch -> {
          int i0 = Parallel.rangeStart(m, chunks, 8, ch), i1 = Parallel.rangeStart(m, chunks, 8, ch + 1);
          if (i0 < i1) Gemm32.strips(transA, i0, i1, n, k, a, aOff, lda, bp, at[0], at[1], c, cOff, ldc, accumulate);
        });
      }
      return;
    }
    if (readsInPlace(transB, n, k, work, Gemm32.NR)) {
      Gemm32.inPlace(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    boolean byColumns = n >= m;
    int chunks = Math.min(t, byColumns ? (n + Gemm32.NR - 1) / Gemm32.NR : (m + Gemm32.MR - 1) / Gemm32.MR);
    if (chunks <= 1) {
      Gemm32.blocked(transA, transB, 0, m, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    Parallel.forChunks(chunks, t, ch -> {
      if (byColumns) {
        int j0 = Parallel.rangeStart(n, chunks, Gemm32.NR, ch), j1 = Parallel.rangeStart(n, chunks, Gemm32.NR, ch + 1);
        if (j0 < j1) Gemm32.blocked(transA, transB, 0, m, j0, j1, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      } else {
        int i0 = Parallel.rangeStart(m, chunks, Gemm32.MR, ch), i1 = Parallel.rangeStart(m, chunks, Gemm32.MR, ch + 1);
        if (i0 < i1) Gemm32.blocked(transA, transB, i0, i1, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      }
    });
  }

  /** float64 C (+)= op(A)·op(B) on {@link Parallel#threads()} threads; see {@link ScalarKernels#gemm}. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k,
      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
    if (m == 0 || n == 0) return;
    if (k == 0) {
      if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
      return;
    }
    long work = (long) m * n * k;
    int t = work < PARALLEL_MIN_WORK ? 1 : Parallel.threads();
    if (n <= DOT_MAX_N && dotProducts(transA, transB, ldb)) {
      Gemm64.dots(transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    if (n <= STRIPS_MAX_VECTORS * Gemm64.L && (!transB || (long) k * n <= STRIPS_MAX_PACKED)
        || t == 1 && (work < BLOCKED_MIN_WORK || m < Gemm64.MR || k < SMALL_MAX_K && m <= SMALL_MAX_M)) {
      int[] at = new int[2];
      double[] bp = Gemm64.stripB(transB, n, k, b, bOff, ldb, at);
      int chunks = Math.min(t, (m + 7) / 8);
      if (chunks <= 1) {
        Gemm64.strips(transA, 0, m, n, k, a, aOff, lda, bp, at[0], at[1], c, cOff, ldc, accumulate);
      } else {
        Parallel.forChunks(chunks, t, ch -> {
          int i0 = Parallel.rangeStart(m, chunks, 8, ch), i1 = Parallel.rangeStart(m, chunks, 8, ch + 1);
          if (i0 < i1) Gemm64.strips(transA, i0, i1, n, k, a, aOff, lda, bp, at[0], at[1], c, cOff, ldc, accumulate);
        });
      }
      return;
    }
    if (readsInPlace(transB, n, k, work, Gemm64.NR)) {
      Gemm64.inPlace(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    boolean byColumns = n >= m;
    int chunks = Math.min(t, byColumns ? (n + Gemm64.NR - 1) / Gemm64.NR : (m + Gemm64.MR - 1) / Gemm64.MR);
    if (chunks <= 1) {
      Gemm64.blocked(transA, transB, 0, m, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    Parallel.forChunks(chunks, t, ch -> {
      if (byColumns) {
        int j0 = Parallel.rangeStart(n, chunks, Gemm64.NR, ch), j1 = Parallel.rangeStart(n, chunks, Gemm64.NR, ch + 1);
        if (j0 < j1) Gemm64.blocked(transA, transB, 0, m, j0, j1, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      } else {
        int i0 = Parallel.rangeStart(m, chunks, Gemm64.MR, ch), i1 = Parallel.rangeStart(m, chunks, Gemm64.MR, ch + 1);
        if (i0 < i1) Gemm64.blocked(transA, transB, i0, i1, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      }
    });
  }

  /**
   * Whether the blocked path may read its operands where they lie ({@link Gemm64#inPlace}): a
   * problem below {@link #PARALLEL_MIN_WORK}, B row-major, whole micro-tile columns and a B of at
   * most {@link #IN_PLACE_MAX_B} elements. Packing such a B (and a transposed A) costs a tenth to a
   * third of the product itself, as in the [32 × 128]·[128 × 128] products of exact unrolling, which
   * repeat per query with a fresh operand each time.
   */
  private static boolean readsInPlace(boolean transB, int n, int k, long work, int nr) {
    return !transB && work < PARALLEL_MIN_WORK && n % nr == 0 && (long) k * n <= IN_PLACE_MAX_B;
  }

  /**
   * Whether C's elements can be computed as dot products of contiguous runs (rows of A, columns of
   * B): then a C narrower than one vector is better served by the unpacked path than by
   * micro-tiles that are mostly padding.
   */
  private static boolean dotProducts(boolean ta, boolean tb, int ldb) {
    return !ta && (tb || ldb == 1);
  }

  /**
   * Rejects sizes and layouts that would read or write outside the arrays, naming the operand. The
   * message is built only on failure: this runs on every call, and most calls are small.
   */
  static void check(boolean ta, boolean tb, int m, int n, int k, int aLen, int aOff, int lda,
      int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException(shape(ta, tb, m, n, k) + ": negative size");
    if (m == 0 || n == 0) return;
    if (ldc < n) throw new IllegalArgumentException(shape(ta, tb, m, n, k) + ": ldc=" + ldc + " < n");
    checkSpan(ta, tb, m, n, k, "C", cLen, cOff, m, n, ldc);
    if (k == 0) return;
    int aRows = ta ? k : m, aCols = ta ? m : k;
    int bRows = tb ? n : k, bCols = tb ? k : n;
    if (lda < aCols) throw new IllegalArgumentException(shape(ta, tb, m, n, k) + ": lda=" + lda + " < " + aCols + " (row length of the stored A, " + aRows + "×" + aCols + ")");
    if (ldb < bCols) throw new IllegalArgumentException(shape(ta, tb, m, n, k) + ": ldb=" + ldb + " < " + bCols + " (row length of the stored B, " + bRows + "×" + bCols + ")");
    checkSpan(ta, tb, m, n, k, "A", aLen, aOff, aRows, aCols, lda);
    checkSpan(ta, tb, m, n, k, "B", bLen, bOff, bRows, bCols, ldb);
  }

  private static String shape(boolean ta, boolean tb, int m, int n, int k) {
    return "gemm " + (ta ? "Aᵀ" : "A") + "·" + (tb ? "Bᵀ" : "B") + " with m=" + m + ", n=" + n + ", k=" + k;
  }

  private static void checkSpan(boolean ta, boolean tb, int m, int n, int k, String name, int len, int off, int rows, int cols, int ld) {
    long last = off + (long) (rows - 1) * ld + cols - 1;
    if (off < 0 || last >= len) {
      throw new IllegalArgumentException(shape(ta, tb, m, n, k) + ": the stored " + name + " (" + rows + "×" + cols + ", offset " + off
          + ", leading dimension " + ld + ") needs indices up to " + last + " but its array has length " + len);
    }
  }
}
