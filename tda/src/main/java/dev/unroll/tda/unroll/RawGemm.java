package dev.unroll.tda.unroll;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.SimdGemm;
import dev.unroll.autodiff.Tensor;

/**
 * The GEMM kernel on tensors' storage with offsets and leading dimensions, for the batched sweep's
 * products that read strided blocks of stacked tensors and accumulate into them in place (which the
 * tensor API, allocating a result per op, cannot express).
 */
final class RawGemm {
  private RawGemm() {}

  /**
   * C[offC…] (+)= op(A)·op(B), op(X) = Xᵀ when the flag is set, all three contiguous CPU tensors of
   * one dtype owning their storage; see {@link SimdGemm#gemm}.
   */
  static void gemm(boolean ta, boolean tb, int m, int n, int k, Tensor a, int offA, int lda, Tensor b, int offB, int ldb, Tensor c, int offC, int ldc, boolean accumulate) {
    if (a.dtype() != c.dtype() || b.dtype() != c.dtype()) throw new IllegalArgumentException("gemm of " + a.dtype() + ", " + b.dtype() + " into " + c.dtype());
    if (c.dtype() == DType.F64) {
      SimdGemm.gemm(ta, tb, m, n, k, a.doubleStorage(), offA, lda, b.doubleStorage(), offB, ldb, c.doubleStorage(), offC, ldc, accumulate);
    } else {
      SimdGemm.gemm(ta, tb, m, n, k, a.floatStorage(), offA, lda, b.floatStorage(), offB, ldb, c.floatStorage(), offC, ldc, accumulate);
    }
  }

  /** target += x elementwise, in target's storage (same number of elements, same dtype). */
  static void addInto(Tensor target, Tensor x) {
    if (target.numel() != x.numel()) throw new IllegalArgumentException("addInto: " + target.numel() + " and " + x.numel() + " elements");
    if (target.dtype() == DType.F64) {
      double[] t = target.doubleStorage(), v = x.contiguous().toDoubleArray();
      for (int i = 0; i < t.length; i++) t[i] += v[i];
    } else {
      float[] t = target.floatStorage(), v = x.contiguous().toFloatArray();
      for (int i = 0; i < t.length; i++) t[i] += v[i];
    }
  }
}
