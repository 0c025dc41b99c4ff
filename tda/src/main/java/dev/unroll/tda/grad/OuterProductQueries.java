package dev.unroll.tda.grad;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.OuterSumDots;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;

/**
 * Query blocks given in a Kronecker eigenbasis as scaled outer products, M_q = φ ⊙ (u_q v_qᵀ) with
 * u [Q, out], v [Q, in] and φ [out, in] in float64: the form a rank-one query gradient takes there
 * after a spectral function of EK-FAC/K-FAC curvature. Formed in one pass straight into the layout
 * and dtype the scoring GEMM reads, instead of an outer product, a product with φ, a conversion, a
 * transposition and a copy into that layout, each a pass over Q·out·in elements.
 */
public final class OuterProductQueries {
  private OuterProductQueries() {}

  /**
   * The queries M_qᵀ [in, out] prepared for {@link OuterSumDots} in {@code dtype}: entry (k, j) of
   * query q is (u[q, j]·v[q, k])·φ[j, k], computed in float64 and rounded once (the same bits as
   * forming M in float64 and converting it), written straight into the kernel's blocked layout.
   */
  public static OuterSumDots.Queries queries(Tensor u, Tensor v, Tensor phi, DType dtype) {
    int q = u.dim(0), out = u.dim(1), in = v.dim(1);
    check(u, v, phi);
    double[] ud = u.toDoubleArray(), vd = v.toDoubleArray();
    double[] phiT;
    try (var s = GradMode.off()) {
      phiT = phi.t().contiguous().toDoubleArray();
    }
    return OuterSumDots.Queries.build(q, in, out, dtype, (r, k, row) -> {
      double vk = vd[r * in + k];
      int ur = r * out, pk = k * out;
      for (int j = 0; j < out; j++) row[j] = ud[ur + j] * vk * phiT[pk + j];
    });
  }

  /** Side of the square tiles in which {@link #transposedFrom} transposes. */
  private static final int TILE = 16;

  /**
   * Mᵀ as [in, Q·out] in {@code dtype} from M [Q, out, in] given whole (queries that are not outer
   * products, such as SOURCE's propagated ones): entry (k, q·out + j) = M[q, j, k], converted once.
   * Transposed by square tiles, parallel over bands of rows of M, so that reads and writes both stay
   * within a few cache lines, instead of a conversion and a strided transposition.
   */
  public static Tensor transposedFrom(Tensor m, DType dtype) {
    int q = m.dim(0), out = m.dim(1), in = m.dim(2), rows = q * out, width = rows;
    int bands = (rows + TILE - 1) / TILE;
    // Converted first where the dtypes differ (a float64 M scored by a float32 pass), so that one
    // transposition per dtype serves every case.
    Tensor src = m.to(dtype).owning();
    if (dtype == DType.F32) {
      float[] mf = src.floatStorage(), mt = new float[in * width];
      Parallel.forChunks(bands, c -> {
        for (int k0 = 0; k0 < in; k0 += TILE) transposeTile(mf, mt, c * TILE, Math.min(rows, c * TILE + TILE), k0, Math.min(in, k0 + TILE), in, width);
      });
      return Tensor.of(mt, in, width);
    }
    double[] md = src.doubleStorage(), mt = new double[in * width];
    Parallel.forChunks(bands, c -> {
      for (int k0 = 0; k0 < in; k0 += TILE) {
        for (int k = k0; k < Math.min(in, k0 + TILE); k++) for (int r = c * TILE; r < Math.min(rows, c * TILE + TILE); r++) mt[k * width + r] = md[r * in + k];
      }
    });
    return Tensor.of(mt, in, width);
  }

  /** mt[k·width + r] = m[r·in + k] for r in [r0, r1), k in [k0, k1). */
  private static void transposeTile(float[] m, float[] mt, int r0, int r1, int k0, int k1, int in, int width) {
    for (int k = k0; k < k1; k++) for (int r = r0; r < r1; r++) mt[k * width + r] = m[r * in + k];
  }

  private static void check(Tensor u, Tensor v, Tensor phi) {
    if (u.rank() != 2 || v.rank() != 2 || phi.rank() != 2 || u.dim(0) != v.dim(0) || phi.dim(0) != u.dim(1) || phi.dim(1) != v.dim(1)) {
      throw new IllegalArgumentException("outer-product queries: u " + java.util.Arrays.toString(u.shape()) + ", v " + java.util.Arrays.toString(v.shape())
          + ", φ " + java.util.Arrays.toString(phi.shape()) + "; expected [Q, out], [Q, in], [out, in]");
    }
  }
}
