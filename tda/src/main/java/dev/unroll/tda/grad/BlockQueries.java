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
    /** M [Q, out, in] (float64, or the scored model's dtype); formed from the factors on first need when given as outer products. */
    private Tensor m64;
    /** M_q = φ ⊙ (u_q v_qᵀ) when given so ({@link #ofOuterProducts}), else null. */
    private final Tensor uq, vq, phi;
    private final int q, out, in;
    /** M transposed, [in, Q·out], in the dtype of the passes it last scored. */
    private Tensor mt, qSd, qAd;
    /** M transposed as given ({@link #ofTransposed}), else null. */
    private final Tensor mtGiven;
    private Plain formed;

    public Eigenbasis(Tensor qS, Tensor qA, Tensor m) {
      this(qS, qA, m, null, null, null, null, m.dim(0), m.dim(1), m.dim(2));
      if (m.rank() != 3 || qS.dim(0) != m.dim(1) || qA.dim(0) != m.dim(2)) {
        throw new IllegalArgumentException("eigenbasis queries " + java.util.Arrays.toString(m.shape()) + " for bases of " + qS.dim(0) + " and " + qA.dim(0));
      }
    }

    private Eigenbasis(Tensor qS, Tensor qA, Tensor m, Tensor u, Tensor v, Tensor phi, Tensor mt, int q, int out, int in) {
      this.qS = qS;
      this.qA = qA;
      this.m64 = m;
      this.uq = u;
      this.vq = v;
      this.phi = phi;
      this.mtGiven = mt;
      this.mt = mt;
      this.q = q;
      this.out = out;
      this.in = in;
    }

    /**
     * Queries given in the scoring layout, Mᵀ as [in, Q·out] (column q·out + j of row k is
     * M_q[j, k]), in any dtype: for query sides computed in that layout from the start (SOURCE).
     */
    public static Eigenbasis ofTransposed(Tensor qS, Tensor qA, Tensor mt, int q) {
      int out = qS.dim(0), in = qA.dim(0);
      if (mt.rank() != 2 || mt.dim(0) != in || mt.dim(1) != q * out) {
        throw new IllegalArgumentException("transposed eigenbasis queries " + java.util.Arrays.toString(mt.shape()) + " for " + q + " queries and bases of " + out + " and " + in + "; expected [" + in + ", " + q * out + "]");
      }
      return new Eigenbasis(qS, qA, null, null, null, null, mt, q, out, in);
    }

    /**
     * Queries M_q = φ ⊙ (u_q v_qᵀ) in the eigenbasis (u [Q, out], v [Q, in], φ [out, in], float64),
     * kept as factors: the scoring layout is formed from them in one pass ({@link OuterProductQueries}).
     */
    public static Eigenbasis ofOuterProducts(Tensor qS, Tensor qA, Tensor u, Tensor v, Tensor phi) {
      if (qS.dim(0) != u.dim(1) || qA.dim(0) != v.dim(1)) {
        throw new IllegalArgumentException("outer-product queries of " + u.dim(1) + " × " + v.dim(1) + " for bases of " + qS.dim(0) + " and " + qA.dim(0));
      }
      return new Eigenbasis(qS, qA, null, u, v, phi, null, u.dim(0), u.dim(1), v.dim(1));
    }

    @Override
    public Tensor dots(CapturedPass pass, int block, List<Tensor> ds) {
      // Cached forms follow the pass's dtype: the same queries may score a float32 and a float64 model.
      DType dt = pass.output().dtype();
      if (!pass.isRankOne(block)) {
        if (formed == null || formed.u.dtype() != dt) {
          if (m64 == null) m64 = uq != null ? OuterProductQueries.dense(uq, vq, phi) : mtGiven.reshape(in, q, out).permute(1, 2, 0).to(DType.F64).contiguous();
          try (var s = GradMode.off()) {
            formed = new Plain(qS.matmul(m64.to(DType.F64)).matmul(qA.t()).to(dt));
          }
        }
        return formed.dots(pass, block, ds);
      }
      int call = pass.callsOf(block)[0];
      try (var s = GradMode.off()) {
        Tensor act = pass.activationRows(call);
        if (mt == null || mt.dtype() != dt) {
          mt = mtGiven != null ? mtGiven.to(dt).contiguous()
              : m64 != null ? OuterProductQueries.transposedFrom(m64, dt) : OuterProductQueries.transposed(uq, vq, phi, dt);
        }
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
