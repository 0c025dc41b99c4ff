package dev.unroll.tda.grad;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.OuterSumDots;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The query side of one gradient block in a streaming score ⟨u_q, ∇_{W̄_b} L(z)⟩ over training
 * examples z ({@link GradientDots}): either the vectors themselves, or vectors held in a Kronecker
 * eigenbasis, u_q = Q_S M_q Q_Aᵀ, as a curvature's spectral function leaves them. The second is
 * scored without rotating back: for a rank-one per-example gradient g āᵀ,
 * ⟨Q_S M_q Q_Aᵀ, g āᵀ⟩ = ⟨M_q, (Q_Sᵀg)(Q_Aᵀā)ᵀ⟩, so the training factors rotate at B·(out² + in²)
 * per batch instead of the queries at Q·out·in·(out + in).
 *
 * <p>A score may sum over several passes of the same examples at different parameter values
 * (SOURCE's checkpoints of a segment, ⟨u_q, Σ_c ∇L(z, θ_c)⟩): each pass leaves its {@link Part},
 * and {@link #dots(List)} adds them up, in the eigenbasis as one product for all passes.
 */
public sealed interface BlockQueries {
  /** What one pass contributes to block b's scores, to be summed over passes by {@link #dots(List)}. */
  Part part(CapturedPass pass, int block, List<Tensor> ds);

  /** d[q, n] = Σ over the parts (passes over the same examples) of ⟨u_q, ∇_{W̄_b} ℓₙ⟩, [Q, B] in the passes' dtype. */
  Tensor dots(List<Part> parts);

  /** d[q, n] = ⟨u_q, ∇_{W̄_b} ℓₙ⟩ for the pass's examples n, [Q, B] in the pass's dtype. */
  default Tensor dots(CapturedPass pass, int block, List<Tensor> ds) {
    return dots(List.of(part(pass, block, ds)));
  }

  /** The number of query rows. */
  int rows();

  /** One pass's contribution to a block's scores. */
  sealed interface Part {
    /**
     * The parts of consecutive batches from passes at the same parameter values as one part for
     * all their examples, in order: factors stacked by rows, dots by columns.
     *
     * @throws IllegalArgumentException when there are none, or they are not all of one kind
     */
    static Part concat(List<Part> parts) {
      if (parts.isEmpty()) throw new IllegalArgumentException("no parts to concatenate");
      if (parts.size() == 1) return parts.get(0);
      Tensor[] a = new Tensor[parts.size()], b = new Tensor[parts.size()];
      boolean factors = parts.get(0) instanceof Factors;
      for (int i = 0; i < a.length; i++) {
        Part p = parts.get(i);
        if (p instanceof Factors f && factors) {
          a[i] = f.x();
          b[i] = f.y();
        } else if (p instanceof Dots d && !factors) {
          a[i] = d.d();
        } else {
          throw new IllegalArgumentException("parts of one block and pass differ in kind between batches: " + parts.get(0).getClass().getSimpleName() + " and " + p.getClass().getSimpleName());
        }
      }
      try (var s = GradMode.off()) {
        return factors ? new Factors(Ops.concat(0, a), Ops.concat(0, b)) : new Dots(Ops.concat(1, a));
      }
    }
  }

  /** A pass's finished dots [Q, B]. */
  record Dots(Tensor d) implements Part {}

  /**
   * A pass's training factors rotated into an eigenbasis (eigenbasis queries, rank-one block, CPU),
   * x = Q_Aᵀā as [B, in] and y = Q_Sᵀg as [B, out], whose outer products the queries meet together.
   */
  record Factors(Tensor x, Tensor y) implements Part {}

  /** Query vectors u [Q, out, in] of the block, as they are. */
  final class Plain implements BlockQueries {
    private Tensor u;

    public Plain(Tensor u) {
      this.u = u;
    }

    @Override
    public Part part(CapturedPass pass, int block, List<Tensor> ds) {
      u = pass.onDevice(u);
      return new Dots(pass.blockDots(block, ds, u));
    }

    @Override
    public Tensor dots(List<Part> parts) {
      return sum(parts, null);
    }

    @Override
    public int rows() {
      return u.dim(0);
    }
  }

  /** Σ of the parts' finished dots, plus {@code extra} (either may be absent, not both). */
  private static Tensor sum(List<Part> parts, Tensor extra) {
    Tensor total = extra;
    try (var s = GradMode.off()) {
      for (Part p : parts) {
        if (p instanceof Dots d) total = total == null ? d.d() : total.add(d.d());
      }
    }
    if (total == null) throw new IllegalArgumentException("no passes to sum");
    return total;
  }

  /**
   * u_q = Q_S M_q Q_Aᵀ with Q_S [out, out] and Q_A [in, in] (float64, eigenvectors in columns) and
   * M [Q, out, in], held as the matrices M_qᵀ [in, out] prepared for {@link OuterSumDots} (in the
   * dtype given). On the CPU a rank-one block is scored as ⟨M_qᵀ, Σ_c ã_c g̃_cᵀ⟩ with ã = Q_Aᵀā and
   * g̃ = Q_Sᵀg: one GEMM for all queries and all passes of a batch. Blocks whose per-example
   * gradients are not rank one in a pass (convolutions, shared layers) get u formed once, in the
   * pass's dtype, and scored as {@link Plain}; a pass on a device gets Mᵀ there as [in, Q·out]
   * and one product per pass.
   */
  final class Eigenbasis implements BlockQueries {
    private final Tensor qS, qA;
    private final OuterSumDots.Queries given;
    private final int q, out, in;
    /** The queries and bases in the dtype of the passes they last scored. */
    private OuterSumDots.Queries rows;
    private Tensor qSd, qAd;
    private Plain formed;
    private Tensor deviceMt;

    /** Queries M [Q, out, in], in any dtype. */
    public Eigenbasis(Tensor qS, Tensor qA, Tensor m) {
      this(qS, qA, check(qS, qA, m).permute(0, 2, 1), m.dim(0));
    }

    /** From M_qᵀ stacked as [Q, in, out] (any strides; read once into {@link OuterSumDots.Queries}). */
    private Eigenbasis(Tensor qS, Tensor qA, Tensor mqt, int q) {
      this(qS, qA, checkStacked(qS, qA, mqt, q));
    }

    /**
     * From the matrices M_qᵀ [in, out] already prepared for {@link OuterSumDots} (in the dtype of the
     * passes they will score, such as {@link OuterProductQueries#queries}).
     *
     * @throws IllegalArgumentException when the matrices are not [in, out] for bases Q_S [out, out] and Q_A [in, in]
     */
    public Eigenbasis(Tensor qS, Tensor qA, OuterSumDots.Queries mqt) {
      this.qS = qS;
      this.qA = qA;
      this.q = mqt.rows();
      this.out = qS.dim(0);
      this.in = qA.dim(0);
      if (mqt.matrixRows() != in || mqt.matrixColumns() != out) {
        throw new IllegalArgumentException("eigenbasis queries of " + mqt.matrixRows() + " × " + mqt.matrixColumns() + " for bases of " + out + " and " + in + "; expected M_qᵀ of " + in + " × " + out);
      }
      this.given = mqt;
      this.rows = given;
    }

    private static OuterSumDots.Queries checkStacked(Tensor qS, Tensor qA, Tensor mqt, int q) {
      int out = qS.dim(0), in = qA.dim(0);
      if (mqt.rank() != 3 || mqt.dim(0) != q || mqt.dim(1) != in || mqt.dim(2) != out) {
        throw new IllegalArgumentException("eigenbasis queries " + java.util.Arrays.toString(mqt.shape()) + " for " + q + " queries and bases of " + out + " and " + in);
      }
      return OuterSumDots.Queries.of(mqt, in, out);
    }

    private static Tensor check(Tensor qS, Tensor qA, Tensor m) {
      if (m.rank() != 3 || qS.dim(0) != m.dim(1) || qA.dim(0) != m.dim(2)) {
        throw new IllegalArgumentException("eigenbasis queries " + java.util.Arrays.toString(m.shape()) + " for bases of " + qS.dim(0) + " and " + qA.dim(0));
      }
      return m;
    }

    /**
     * Queries given transposed, Mᵀ as [in, Q·out] (column q·out + j of row k is M_q[j, k]), in any
     * dtype: the layout in which SOURCE's propagated queries are formed.
     */
    public static Eigenbasis ofTransposed(Tensor qS, Tensor qA, Tensor mt, int q) {
      int out = qS.dim(0), in = qA.dim(0);
      if (mt.rank() != 2 || mt.dim(0) != in || mt.dim(1) != q * out) {
        throw new IllegalArgumentException("transposed eigenbasis queries " + java.util.Arrays.toString(mt.shape()) + " for " + q + " queries and bases of " + out + " and " + in + "; expected [" + in + ", " + q * out + "]");
      }
      return new Eigenbasis(qS, qA, mt.reshape(in, q, out).permute(1, 0, 2), q);
    }

    @Override
    public Part part(CapturedPass pass, int block, List<Tensor> ds) {
      // Cached forms follow the pass's dtype: the same queries may score a float32 and a float64 model.
      DType dt = pass.output().dtype();
      if (!pass.isRankOne(block)) {
        if (formed == null || formed.u.dtype() != dt) {
          try (var s = GradMode.off()) {
            Tensor m = given.toTensor().permute(0, 2, 1).to(DType.F64);
            formed = new Plain(qS.matmul(m).matmul(qA.t()).to(dt));
          }
        }
        return formed.part(pass, block, ds);
      }
      int call = pass.callsOf(block)[0];
      try (var s = GradMode.off()) {
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
        if (!pass.backend().isCpu()) {
          if (deviceMt == null || deviceMt.dtype() != dt || deviceMt.backend() != pass.backend()) {
            deviceMt = pass.onDevice(given.toTensor().permute(1, 0, 2).contiguous().reshape(in, q * out).to(dt).contiguous());
          }
          return new Dots(CapturedPass.contract(a.matmul(deviceMt), g, q, out));
        }
        return new Factors(a, g);
      }
    }

    @Override
    public Tensor dots(List<Part> parts) {
      List<Tensor> xs = new ArrayList<>(), ys = new ArrayList<>();
      for (Part p : parts) {
        if (p instanceof Factors f) {
          xs.add(f.x());
          ys.add(f.y());
        }
      }
      Tensor factored = null;
      if (!xs.isEmpty()) {
        DType dt = xs.get(0).dtype();
        if (rows.dtype() != dt) rows = given.to(dt);
        factored = OuterSumDots.compute(rows, xs.toArray(new Tensor[0]), ys.toArray(new Tensor[0]));
      }
      return parts.size() == xs.size() ? factored : sum(parts, factored);
    }

    @Override
    public int rows() {
      return q;
    }
  }
}
