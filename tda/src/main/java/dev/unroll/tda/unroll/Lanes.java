package dev.unroll.tda.unroll;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.SimdGemm;
import dev.unroll.autodiff.Tensor;

/**
 * The few array kernels of {@link MlpStepHvp}'s per-direction pass, once per dtype: [rows × width]
 * row-major blocks at offsets in a tensor's storage (A: double[] or float[]), so that one direction's
 * tangents live in buffers reused across directions instead of a tensor allocated per op.
 * Sums over rows or columns run in double precision and are rounded once.
 */
abstract class Lanes<A> {
  /** Side of the square tiles a transpose moves at a time, so that its strided writes stay within a few cache lines per tile. */
  private static final int TILE = 16;

  static Lanes<?> of(DType dt) {
    return dt == DType.F64 ? F64 : F32;
  }

  abstract A alloc(int n);

  /** The storage of a contiguous CPU tensor of this dtype owning it. */
  abstract A storage(Tensor t);

  /** C[cOff…] (+)= op(A)·op(B); see {@link SimdGemm#gemm}. */
  abstract void gemm(boolean ta, boolean tb, int m, int n, int k, A a, int aOff, int lda, A b, int bOff, int ldb, A c, int cOff, int ldc, boolean accumulate);

  /** z = x∘y over n elements, or z = x where y is null. */
  abstract void mul(A x, A y, A z, int zo, int n);

  /** z = x∘y + u∘v over n elements (y null: x + u∘v). */
  abstract void mulAdd(A x, A y, A u, A v, A z, int n);

  /** z[o, :] += c[co + o] for each of the rows o of z [rows × width]. */
  abstract void addToEachRow(A z, int rows, int width, A c, int co);

  /** acc[j] += Σ_o x[o, j]·y[o, j] for x, y [rows × width]: the dot products of their columns. */
  abstract void columnDots(A x, A y, int rows, int width, double[] acc);

  /** z = xᵀ: z[c, r] = x[r, c] for x [rows × cols]. */
  abstract void transpose(A x, int rows, int cols, A z);

  /** t[o] += Σⱼ x[j, o] for x [rows × width]. */
  abstract void columnSumsInto(A x, int rows, int width, A t, int to);

  /** z[j, :] = s[j]·(Hⱼ·x[j, :]) for x [rows × w] and Hⱼ [w × w] row-major, in double precision. */
  abstract void rowMatrixTimes(A x, int rows, int w, double[][] h, double[] s, A z);

  static final Lanes<double[]> F64 = new Lanes<>() {
    @Override double[] alloc(int n) { return new double[n]; }

    @Override double[] storage(Tensor t) { return t.doubleStorage(); }

    @Override void gemm(boolean ta, boolean tb, int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean acc) {
      SimdGemm.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    }

    @Override void mul(double[] x, double[] y, double[] z, int zo, int n) {
      if (y == null) System.arraycopy(x, 0, z, zo, n);
      else for (int i = 0; i < n; i++) z[zo + i] = x[i] * y[i];
    }

    @Override void mulAdd(double[] x, double[] y, double[] u, double[] v, double[] z, int n) {
      for (int i = 0; i < n; i++) z[i] = (y == null ? x[i] : x[i] * y[i]) + u[i] * v[i];
    }

    @Override void addToEachRow(double[] z, int rows, int width, double[] c, int co) {
      for (int o = 0; o < rows; o++) for (int j = 0; j < width; j++) z[o * width + j] += c[co + o];
    }

    @Override void columnDots(double[] x, double[] y, int rows, int width, double[] acc) {
      for (int o = 0; o < rows; o++) for (int j = 0; j < width; j++) acc[j] += x[o * width + j] * y[o * width + j];
    }

    @Override void transpose(double[] x, int rows, int cols, double[] z) {
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        int r1 = Math.min(rows, r0 + TILE);
        for (int c0 = 0; c0 < cols; c0 += TILE) {
          int c1 = Math.min(cols, c0 + TILE);
          for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) z[c * rows + r] = x[r * cols + c];
        }
      }
    }

    @Override void columnSumsInto(double[] x, int rows, int width, double[] t, int to) {
      for (int o = 0; o < width; o++) {
        double s = 0;
        for (int j = 0; j < rows; j++) s += x[j * width + o];
        t[to + o] += s;
      }
    }

    @Override void rowMatrixTimes(double[] x, int rows, int w, double[][] h, double[] s, double[] z) {
      for (int j = 0; j < rows; j++) {
        for (int c = 0; c < w; c++) {
          double acc = 0;
          for (int cc = 0; cc < w; cc++) acc += h[j][c * w + cc] * x[j * w + cc];
          z[j * w + c] = acc * s[j];
        }
      }
    }
  };

  static final Lanes<float[]> F32 = new Lanes<>() {
    @Override float[] alloc(int n) { return new float[n]; }

    @Override float[] storage(Tensor t) { return t.floatStorage(); }

    @Override void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) {
      SimdGemm.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    }

    @Override void mul(float[] x, float[] y, float[] z, int zo, int n) {
      if (y == null) System.arraycopy(x, 0, z, zo, n);
      else for (int i = 0; i < n; i++) z[zo + i] = x[i] * y[i];
    }

    @Override void mulAdd(float[] x, float[] y, float[] u, float[] v, float[] z, int n) {
      for (int i = 0; i < n; i++) z[i] = (y == null ? x[i] : x[i] * y[i]) + u[i] * v[i];
    }

    @Override void addToEachRow(float[] z, int rows, int width, float[] c, int co) {
      for (int o = 0; o < rows; o++) for (int j = 0; j < width; j++) z[o * width + j] += c[co + o];
    }

    @Override void columnDots(float[] x, float[] y, int rows, int width, double[] acc) {
      for (int o = 0; o < rows; o++) for (int j = 0; j < width; j++) acc[j] += (double) x[o * width + j] * y[o * width + j];
    }

    @Override void transpose(float[] x, int rows, int cols, float[] z) {
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        int r1 = Math.min(rows, r0 + TILE);
        for (int c0 = 0; c0 < cols; c0 += TILE) {
          int c1 = Math.min(cols, c0 + TILE);
          for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) z[c * rows + r] = x[r * cols + c];
        }
      }
    }

    @Override void columnSumsInto(float[] x, int rows, int width, float[] t, int to) {
      for (int o = 0; o < width; o++) {
        double s = 0;
        for (int j = 0; j < rows; j++) s += x[j * width + o];
        t[to + o] += (float) s;
      }
    }

    @Override void rowMatrixTimes(float[] x, int rows, int w, double[][] h, double[] s, float[] z) {
      for (int j = 0; j < rows; j++) {
        for (int c = 0; c < w; c++) {
          double acc = 0;
          for (int cc = 0; cc < w; cc++) acc += h[j][c * w + cc] * x[j * w + cc];
          z[j * w + c] = (float) (acc * s[j]);
        }
      }
    }
  };
}
