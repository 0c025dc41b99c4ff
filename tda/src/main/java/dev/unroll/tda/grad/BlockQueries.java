package dev.unroll.tda.grad;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import java.util.List;

/**
 * The query side of one gradient block in a streaming score ⟨u_q, ∇_{W̄_b} L(z)⟩ over training
 * examples z ({@link GradientDots}): either the vectors themselves, or vectors held in a Kronecker
 * eigenbasis, u_q = Q_S M_q Q_Aᵀ, as a curvature's spectral function leaves them. The second is
 * scored without rotating back: for a rank-one per-example gradient g āᵀ,
 * ⟨Q_S M_q Q_Aᵀ, g āᵀ⟩ = ⟨M_q, (Q_Sᵀg)(Q_Aᵀā)ᵀ⟩, so the training factors rotate at B·(out² + in²)
 * per batch instead of the queries at Q·out·in·(out + in).
 */
public sealed interface BlockQueries {
  /** d[q, n] = ⟨u_q, ∇_{W̄_b} ℓₙ⟩ for the pass's examples n, [Q, B] in the pass's dtype. */
  Tensor dots(CapturedPass pass, int block, List<Tensor> ds);

  /** The number of query rows. */
  int rows();

  /** Query vectors u [Q, out, in] of the block, as they are. */
  final class Plain implements BlockQueries {
    private Tensor u;

    public Plain(Tensor u) {
      this.u = u;
    }

    @Override
    public Tensor dots(CapturedPass pass, int block, List<Tensor> ds) {
      u = pass.onDevice(u);
      return pass.blockDots(block, ds, u);
    }

    @Override
    public int rows() {
      return u.dim(0);
    }
  }

  /**
   * u_q = Q_S M_q Q_Aᵀ with Q_S [out, out] and Q_A [in, in] (float64, eigenvectors in columns) and
   * M [Q, out, in]. Blocks whose per-example gradients are not rank one in a pass (convolutions,
   * shared layers) get u formed once, in the pass's dtype, and scored as {@link Plain}.
   */
  final class Eigenbasis implements BlockQueries {
    private final Tensor qS, qA;
    /** M transposed, [in, Q·out] (column q·out + j of row k is M_q[j, k]), as given. */
    private final Tensor mtGiven;
    private final int q, out, in;
    /** Mᵀ and the bases in the dtype of the passes they last scored. */
    private Tensor mt, qSd, qAd;
    private Plain formed;

    /** Queries M [Q, out, in], in any dtype. */
    public Eigenbasis(Tensor qS, Tensor qA, Tensor m) {
      this(qS, qA, transposed(qS, qA, m), m.dim(0));
    }

    private Eigenbasis(Tensor qS, Tensor qA, Tensor mt, int q) {
      this.qS = qS;
      this.qA = qA;
      this.q = q;
      this.out = qS.dim(0);
      this.in = qA.dim(0);
      if (mt.rank() != 2 || mt.dim(0) != in || mt.dim(1) != q * out) {
        throw new IllegalArgumentException("transposed eigenbasis queries " + java.util.Arrays.toString(mt.shape()) + " for " + q + " queries and bases of " + out + " and " + in + "; expected [" + in + ", " + q * out + "]");
      }
      this.mtGiven = mt;
      this.mt = mt;
    }

    private static Tensor transposed(Tensor qS, Tensor qA, Tensor m) {
      if (m.rank() != 3 || qS.dim(0) != m.dim(1) || qA.dim(0) != m.dim(2)) {
        throw new IllegalArgumentException("eigenbasis queries " + java.util.Arrays.toString(m.shape()) + " for bases of " + qS.dim(0) + " and " + qA.dim(0));
      }
      return OuterProductQueries.transposedFrom(m, m.dtype());
    }

    /**
     * Queries given in the scoring layout, Mᵀ as [in, Q·out], in any dtype: for query sides formed
     * in that layout from the start (EK-FAC's outer products, {@link OuterProductQueries#transposed};
     * SOURCE's propagated queries).
     */
    public static Eigenbasis ofTransposed(Tensor qS, Tensor qA, Tensor mt, int q) {
      return new Eigenbasis(qS, qA, mt, q);
    }

    @Override
    public Tensor dots(CapturedPass pass, int block, List<Tensor> ds) {
      // Cached forms follow the pass's dtype: the same queries may score a float32 and a float64 model.
      DType dt = pass.output().dtype();
      if (!pass.isRankOne(block)) {
        if (formed == null || formed.u.dtype() != dt) {
          try (var s = GradMode.off()) {
            Tensor m = mtGiven.reshape(in, q, out).permute(1, 2, 0).to(DType.F64);
            formed = new Plain(qS.matmul(m).matmul(qA.t()).to(dt));
          }
        }
        return formed.dots(pass, block, ds);
      }
      int call = pass.callsOf(block)[0];
      try (var s = GradMode.off()) {
        if (mt.dtype() != dt) mt = mtGiven.to(dt).contiguous();
        mt = pass.onDevice(mt);
        if (qSd == null || qSd.dtype() != dt) {
          // The training factors rotate in the pass's dtype: their rotation rounds no worse than
          // the product with M that follows it in that dtype, and a float32 pass saves two
          // conversions and a float64 product per factor and batch.
          qSd = qS.to(dt);
          qAd = qA.to(dt);
        }
        qSd = pass.onDevice(qSd);
        qAd = pass.onDevice(qAd);
        Tensor g = pass.gradientRows(call, ds.get(call)).matmul(qSd);
        Tensor a = pass.activationRows(call).matmul(qAd);
        return CapturedPass.rankOneDotsTransposed(a, g, mt, q, out);
      }
    }

    @Override
    public int rows() {
      return q;
    }
  }
}
