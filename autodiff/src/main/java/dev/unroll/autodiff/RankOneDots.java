package dev.unroll.autodiff;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Inner products of rank-one matrices with query matrices, on the CPU: for rows aₙ of a [B, in],
 * gₙ of g [B, out] and matrices U_q [out, in] stacked as u [Q·out, in],
 * <pre>
 *   d[q, n] = ⟨gₙ aₙᵀ, U_q⟩ = Σ_o gₙ,o (U_q aₙ)_o.
 * </pre>
 * This is how a per-example gradient of a Linear layer (gₙ aₙᵀ) meets preconditioned query
 * gradients without the [B, out, in] per-example matrices: one product a·U_chunkᵀ per chunk of
 * queries, contracted with g row by row while it is still in cache. Chunks run in parallel, each
 * product on one thread, so the result does not depend on the thread count.
 */
public final class RankOneDots {
  private RankOneDots() {}

  /** Elements of the [B, chunk·out] product formed at a time: small enough to stay in the core's cache. */
  public static final int CHUNK_ELEMENTS = 1 << 16;

  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

  /**
   * Each thread's buffer for the [B, chunk·out] product, reused across calls: the product is written
   * whole by the GEMM before it is read, and a new array per chunk made the JVM zero 256 KB per
   * chunk (about 140 MB per EK-FAC scoring of Concrete) for nothing.
   */
  private static final ThreadLocal<float[]> F_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<double[]> D_SCRATCH = ThreadLocal.withInitial(() -> new double[0]);

  private static float[] floats(int n) {
    float[] z = F_SCRATCH.get();
    if (z.length < n) F_SCRATCH.set(z = new float[n]);
    return z;
  }

  private static double[] doubles(int n) {
    double[] z = D_SCRATCH.get();
    if (z.length < n) D_SCRATCH.set(z = new double[n]);
    return z;
  }

  /**
   * d [Q, B] in the operands' dtype, d[q, n] = Σ_o g[n, o]·(u[q·out + o, :]·a[n, :]).
   *
   * @throws IllegalArgumentException when the shapes or dtypes disagree or an operand is not on a CPU backend
   */
  public static Tensor compute(Tensor a, Tensor g, Tensor u, int q, int out) {
    checkFactors(a, g, out);
    if (u.rank() != 2 || u.dim(0) != q * out || u.dim(1) != a.dim(1)) {
      throw new IllegalArgumentException("RankOneDots: activations " + Shape.str(a.shape()) + ", output gradients " + Shape.str(g.shape()) + ", queries " + Shape.str(u.shape())
          + " for " + q + " queries of " + out + " outputs; expected [B, in], [B, " + out + "], [" + q * out + ", in]");
    }
    return run(a, g, u, q, out);
  }

  private static void checkFactors(Tensor a, Tensor g, int out) {
    if (a.rank() != 2 || g.rank() != 2 || g.dim(0) != a.dim(0) || g.dim(1) != out) {
      throw new IllegalArgumentException("RankOneDots: activations " + Shape.str(a.shape()) + " and output gradients " + Shape.str(g.shape()) + ", expected [B, in] and [B, " + out + "]");
    }
  }

  private static Tensor run(Tensor a, Tensor g, Tensor u, int q, int out) {
    if (a.dtype() != g.dtype() || a.dtype() != u.dtype()) throw new IllegalArgumentException("RankOneDots: dtypes " + a.dtype() + ", " + g.dtype() + ", " + u.dtype() + " differ");
    if (!(a.backend() instanceof CpuBackend cpu) || !g.backend().isCpu() || !u.backend().isCpu()) throw new IllegalArgumentException("RankOneDots runs on the CPU; operands are on " + a.backend().name());
    Tensor ac = a.contiguous(), gc = g.contiguous(), uc = u.contiguous();
    int b = a.dim(0), in = a.dim(1);
    int chunk = Math.max(1, Math.min(q, CHUNK_ELEMENTS / Math.max(1, b * out)));
    int chunks = (q + chunk - 1) / chunk;
    CpuKernels k = cpu.kernels();
    // Chunk c's queries are rows [q0·out, (q0+qc)·out) of u.
    if (a.dtype() == DType.F64) {
      double[] res = new double[q * b];
      Parallel.forChunks(chunks, c -> {
        int q0 = c * chunk, qc = Math.min(chunk, q - q0);
        double[] z = doubles(b * qc * out);
        int uOff = uc.offset + q0 * out * in;
        k.gemm(false, true, b, qc * out, in, ac.d, ac.offset, in, uc.d, uOff, in, z, 0, qc * out, false);
        contract(z, gc.d, gc.offset, b, qc, out, q0, res);
      });
      return Tensor.of(res, q, b);
    }
    float[] res = new float[q * b];
    Parallel.forChunks(chunks, c -> {
      int q0 = c * chunk, qc = Math.min(chunk, q - q0);
      float[] z = floats(b * qc * out);
      int uOff = uc.offset + q0 * out * in;
      k.gemm(false, true, b, qc * out, in, ac.f, ac.offset, in, uc.f, uOff, in, z, 0, qc * out, false);
      contract(z, gc.f, gc.offset, b, qc, out, q0, res);
    });
    return Tensor.of(res, q, b);
  }

  /** into[(q0 + j)·b + n] = Σ_o z[(n·qc + j)·out + o]·g[gOff + n·out + o] for n &lt; b, j &lt; qc. */
  static void contract(float[] z, float[] g, int gOff, int b, int qc, int out, int q0, float[] into) {
    int l = FS.length(), bound = FS.loopBound(out);
    for (int n = 0; n < b; n++) {
      int go = gOff + n * out;
      for (int j = 0; j < qc; j++) {
        int zo = (n * qc + j) * out;
        FloatVector acc = FloatVector.zero(FS);
        int o = 0;
        for (; o < bound; o += l) acc = FloatVector.fromArray(FS, z, zo + o).fma(FloatVector.fromArray(FS, g, go + o), acc);
        float s = LaneSums.sum(acc);
        for (; o < out; o++) s += z[zo + o] * g[go + o];
        into[(q0 + j) * b + n] = s;
      }
    }
  }

  /** The float64 {@link #contract(float[], float[], int, int, int, int, int, float[])}. */
  static void contract(double[] z, double[] g, int gOff, int b, int qc, int out, int q0, double[] into) {
    int l = DS.length(), bound = DS.loopBound(out);
    for (int n = 0; n < b; n++) {
      int go = gOff + n * out;
      for (int j = 0; j < qc; j++) {
        int zo = (n * qc + j) * out;
        DoubleVector acc = DoubleVector.zero(DS);
        int o = 0;
        for (; o < bound; o += l) acc = DoubleVector.fromArray(DS, z, zo + o).fma(DoubleVector.fromArray(DS, g, go + o), acc);
        double s = LaneSums.sum(acc);
        for (; o < out; o++) s += z[zo + o] * g[go + o];
        into[(q0 + j) * b + n] = s;
      }
    }
  }
}
