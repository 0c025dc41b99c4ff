package dev.unroll.autodiff;

/**
 * Reference kernels: plain loops over strided runs, float32 and float64. They define what every
 * other kernel (SIMD, OpenCL) must compute and are the oracle of the kernel tests. All methods are
 * static, allocation-free and write into the output they are given.
 */
public final class ScalarKernels {
  private ScalarKernels() {}

  /** y[yOff + i] = op(x[xOff + i·xs]) for i in [0, n). */
  public static void unary(UnaryOp op, float[] x, int xOff, int xs, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] = op.apply(x[xOff + i * xs]);
  }

  /** y[yOff + i] = op(x[xOff + i·xs]) for i in [0, n). */
  public static void unary(UnaryOp op, double[] x, int xOff, int xs, double[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] = op.apply(x[xOff + i * xs]);
  }

  /** z[zOff + i] = op(a[aOff + i·as], b[bOff + i·bs]) for i in [0, n); a stride of 0 broadcasts. */
  public static void binary(BinaryOp op, float[] a, int aOff, int as, float[] b, int bOff, int bs,
      float[] z, int zOff, int n) {
    for (int i = 0; i < n; i++) z[zOff + i] = op.apply(a[aOff + i * as], b[bOff + i * bs]);
  }

  /** z[zOff + i] = op(a[aOff + i·as], b[bOff + i·bs]) for i in [0, n); a stride of 0 broadcasts. */
  public static void binary(BinaryOp op, double[] a, int aOff, int as, double[] b, int bOff, int bs,
      double[] z, int zOff, int n) {
    for (int i = 0; i < n; i++) z[zOff + i] = op.apply(a[aOff + i * as], b[bOff + i * bs]);
  }

  /** Σ_{i&lt;n} x[off + i], summed in index order. */
  public static float sum(float[] x, int off, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) s += x[off + i];
    return s;
  }

  /** Σ_{i&lt;n} x[off + i], summed in index order. */
  public static double sum(double[] x, int off, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[off + i];
    return s;
  }

  /** max_{i&lt;n} x[off + i] (NaN if any element is NaN); n ≥ 1. */
  public static float max(float[] x, int off, int n) {
    float m = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      float v = x[off + i];
      if (v != v) return v;
      if (v > m) m = v;
    }
    return m;
  }

  /** max_{i&lt;n} x[off + i] (NaN if any element is NaN); n ≥ 1. */
  public static double max(double[] x, int off, int n) {
    double m = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double v = x[off + i];
      if (v != v) return v;
      if (v > m) m = v;
    }
    return m;
  }

  /** acc[accOff + i] = op(acc[accOff + i], x[xOff + i]) for i in [0, n): row-wise reduction step (op ADD or MAX). */
  public static void accumulate(BinaryOp op, float[] x, int xOff, float[] acc, int accOff, int n) {
    for (int i = 0; i < n; i++) acc[accOff + i] = op.apply(acc[accOff + i], x[xOff + i]);
  }

  /** acc[accOff + i] = op(acc[accOff + i], x[xOff + i]) for i in [0, n): row-wise reduction step (op ADD or MAX). */
  public static void accumulate(BinaryOp op, double[] x, int xOff, double[] acc, int accOff, int n) {
    for (int i = 0; i < n; i++) acc[accOff + i] = op.apply(acc[accOff + i], x[xOff + i]);
  }

  /**
   * Row-major C[m×n] = op(A)·op(B), plus the old C when {@code accumulate}. op(A) is m×k: element
   * (i,p) is a[aOff + i·lda + p], or a[aOff + p·lda + i] when transA. op(B) is k×n: element (p,j) is
   * b[bOff + p·ldb + j], or b[bOff + j·ldb + p] when transB. Each C element is summed over p in order.
   */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = 0f;
        for (int p = 0; p < k; p++) {
          float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          s += av * bv;
        }
        int ci = cOff + i * ldc + j;
        c[ci] = accumulate ? c[ci] + s : s;
      }
    }
  }

  /** Double-precision twin of {@link #gemm(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int, boolean)}. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k,
      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          s += av * bv;
        }
        int ci = cOff + i * ldc + j;
        c[ci] = accumulate ? c[ci] + s : s;
      }
    }
  }

  /** z[i] = g[i]·step(x[i]): the product with the 0/1 mask, element by element (so −0 and NaN as that product gives). */
  public static void mulStep(float[] g, int gOff, float[] x, int xOff, float[] z, int zOff, int n) {
    for (int i = 0; i < n; i++) z[zOff + i] = g[gOff + i] * UnaryOp.STEP.apply(x[xOff + i]);
  }

  public static void mulStep(double[] g, int gOff, double[] x, int xOff, double[] z, int zOff, int n) {
    for (int i = 0; i < n; i++) z[zOff + i] = g[gOff + i] * UnaryOp.STEP.apply(x[xOff + i]);
  }
}
