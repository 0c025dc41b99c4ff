package dev.unroll.autodiff;

/**
 * The kernel set a CPU backend runs on: strided elementwise runs, reductions and GEMM over Java
 * arrays. Two implementations: {@link #SCALAR} (plain loops, the oracle of the tests) and
 * {@link SimdKernels#INSTANCE} (Vector API, multi-threaded GEMM, the default). Semantics of every
 * method are those of the same-named static method in {@link ScalarKernels}.
 */
public interface CpuKernels {
  String name();

  void unary(UnaryOp op, float[] x, int xOff, int xs, float[] y, int yOff, int n);

  void unary(UnaryOp op, double[] x, int xOff, int xs, double[] y, int yOff, int n);

  void binary(BinaryOp op, float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] z, int zOff, int n);

  void binary(BinaryOp op, double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] z, int zOff, int n);

  /** z[i] = g[i]·[x[i] &gt; 0] on n unit-stride elements (ReLU's vector-Jacobian product, no mask array). */
  void mulStep(float[] g, int gOff, float[] x, int xOff, float[] z, int zOff, int n);

  void mulStep(double[] g, int gOff, double[] x, int xOff, double[] z, int zOff, int n);

  float sum(float[] x, int off, int n);

  double sum(double[] x, int off, int n);

  float max(float[] x, int off, int n);

  double max(double[] x, int off, int n);

  void accumulate(BinaryOp op, float[] x, int xOff, float[] acc, int accOff, int n);

  void accumulate(BinaryOp op, double[] x, int xOff, double[] acc, int accOff, int n);

  void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate);

  void gemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean accumulate);

  /** Plain loops: the reference. */
  CpuKernels SCALAR = new CpuKernels() {
    public String name() { return "scalar"; }
    public void unary(UnaryOp op, float[] x, int xOff, int xs, float[] y, int yOff, int n) { ScalarKernels.unary(op, x, xOff, xs, y, yOff, n); }
    public void unary(UnaryOp op, double[] x, int xOff, int xs, double[] y, int yOff, int n) { ScalarKernels.unary(op, x, xOff, xs, y, yOff, n); }
    public void binary(BinaryOp op, float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] z, int zOff, int n) { ScalarKernels.binary(op, a, aOff, as, b, bOff, bs, z, zOff, n); }
    public void binary(BinaryOp op, double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] z, int zOff, int n) { ScalarKernels.binary(op, a, aOff, as, b, bOff, bs, z, zOff, n); }
    public void mulStep(float[] g, int gOff, float[] x, int xOff, float[] z, int zOff, int n) { ScalarKernels.mulStep(g, gOff, x, xOff, z, zOff, n); }
    public void mulStep(double[] g, int gOff, double[] x, int xOff, double[] z, int zOff, int n) { ScalarKernels.mulStep(g, gOff, x, xOff, z, zOff, n); }
    public float sum(float[] x, int off, int n) { return ScalarKernels.sum(x, off, n); }
    public double sum(double[] x, int off, int n) { return ScalarKernels.sum(x, off, n); }
    public float max(float[] x, int off, int n) { return ScalarKernels.max(x, off, n); }
    public double max(double[] x, int off, int n) { return ScalarKernels.max(x, off, n); }
    public void accumulate(BinaryOp op, float[] x, int xOff, float[] acc, int accOff, int n) { ScalarKernels.accumulate(op, x, xOff, acc, accOff, n); }
    public void accumulate(BinaryOp op, double[] x, int xOff, double[] acc, int accOff, int n) { ScalarKernels.accumulate(op, x, xOff, acc, accOff, n); }
    public void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) { ScalarKernels.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc); }
    public void gemm(boolean ta, boolean tb, int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean acc) { ScalarKernels.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc); }
  };
}
