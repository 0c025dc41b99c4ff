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
    /** M [Q, out, in] float64; formed from the factors on first need when given as outer products. */
    private Tensor m64;
    /** M_q = φ ⊙ (u_q v_qᵀ) when given so ({@link #ofOuterProducts}), else null. */
    private final Tensor uq, vq, phi;
    private final int q, out, in;
    /** M transposed, [in, Q·out], in the dtype of the passes it last scored. */
    private Tensor mt, qSd, qAd;
    private Plain formed;

    public Eigenbasis(Tensor qS, Tensor qA, Tensor m) {
      this(qS, qA, m, null, null, null);
      if (m.rank() != 3 || qS.dim(0) != m.dim(1) || qA.dim(0) != m.dim(2)) {
        throw new IllegalArgumentException("eigenbasis queries " + java.util.Arrays.toString(m.shape()) + " for bases of " + qS.dim(0) + " and " + qA.dim(0));
      }
    }

    private Eigenbasis(Tensor qS, Tensor qA, Tensor m, Tensor u, Tensor v, Tensor phi) {
      this.qS = qS;
      this.qA = qA;
      this.m64 = m;
      this.uq = u;
      this.vq = v;
      this.phi = phi;
      this.q = m != null ? m.dim(0) : u.dim(0);
      this.out = m != null ? m.dim(1) : u.dim(1);
      this.in = m != null ? m.dim(2) : v.dim(1);
    }

    /**
     * Queries M_q = φ ⊙ (u_q v_qᵀ) in the eigenbasis (u [Q, out], v [Q, in], φ [out, in], float64),
     * kept as factors: the scoring layout is formed from them in one pass ({@link OuterProductQueries}).
     */
    public static Eigenbasis ofOuterProducts(Tensor qS, Tensor qA, Tensor u, Tensor v, Tensor phi) {
      if (qS.dim(0) != u.dim(1) || qA.dim(0) != v.dim(1)) {
        throw new IllegalArgumentException("outer-product queries of " + u.dim(1) + " × " + v.dim(1) + " for bases of " + qS.dim(0) + " and " + qA.dim(0));
      }
      return new Eigenbasis(qS, qA, null, u, v, phi);
    }

    @Override
    public Tensor dots(CapturedPass pass, int block, List<Tensor> ds) {
      // Cached forms follow the pass's dtype: the same queries may score a float32 and a float64 model.
      DType dt = pass.output().dtype();
      if (!pass.isRankOne(block)) {
        if (formed == null || formed.u.dtype() != dt) {
          if (m64 == null) m64 = OuterProductQueries.dense(uq, vq, phi);
          try (var s = GradMode.off()) {
            formed = new Plain(qS.matmul(m64).matmul(qA.t()).to(dt));
          }
        }
        return formed.dots(pass, block, ds);
      }
      int call = pass.callsOf(block)[0];
      try (var s = GradMode.off()) {
        Tensor act = pass.activationRows(call);
        if (mt == null || mt.dtype() != dt) {
          mt = pass.onDevice(m64 != null ? OuterProductQueries.transposedFrom(m64, dt) : OuterProductQueries.transposed(uq, vq, phi, dt));
          // The training factors rotate in the pass's dtype: their rotation rounds no worse than
          // the product with M that follows it in that dtype, and a float32 pass saves two
          // conversions and a float64 product per factor and batch.
          qSd = pass.onDevice(qS.to(dt));
          qAd = pass.onDevice(qA.to(dt));
        }
        Tensor g = pass.gradientRows(call, ds.get(call)).matmul(qSd);
        Tensor a = act.matmul(qAd);
        return CapturedPass.rankOneDotsTransposed(a, g, mt, q, out);
      }
    }

    @Override
    public int rows() {
      return q;
    }
  }
}
