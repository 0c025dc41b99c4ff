package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.Fingerprints;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.KroneckerEigen;
import dev.unroll.tda.grad.BlockQueries;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.OuterProductQueries;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SOURCE (Bae et al. 2024; method.md §4), fitted and ready to score. With segments ℓ = 1..L in step
 * order, each with closed forms S̄_ℓ (propagation) and r̄_ℓ (in-segment contribution,
 * {@link FittedSegment}):
 * <pre>
 *   τ(z_q, z_m) = ∇f(z_q, θ_T)ᵀ Σ_ℓ w_ℓ (S̄_L ⋯ S̄_{ℓ+1}) r̄_ℓ(z_m),
 *   r̄_ℓ(z_m) = φ_r(H̄_ℓ) ḡ_ℓ(z_m),   ḡ_ℓ(z_m) = mean over the segment's checkpoints c of ∇L(z_m, θ_c),
 * </pre>
 * where w_ℓ = N/N_s for a segment of stage s (N scored training examples, N_s in the stage; 1 for
 * single-stage runs) and ḡ_ℓ(z_m) = 0 when z_m is not part of the segment's stage. The predicted
 * change of f when z_m is removed is τ/N, recorded as {@link Scores#EFFECT_SCALE}; positive τ means
 * removing z_m increases f (method.md §1).
 *
 * <p>Computation, per chunk of queries: q = ∇f(z_q, θ_T); v = q; for ℓ = L..1: u_ℓ = r̄_ℓᵀ v (the
 * gain φ_r,ℓ, sandwiched by P^{1/2} for Adam), then v ← S̄_ℓᵀ v ({@link #segmentVectors}); then
 * for every segment one streaming sweep over its stage's training examples, each batch passed
 * through the model at the segment's checkpoints, accumulates (w_ℓ/C_ℓ)·⟨u_ℓ, Σ_c ∇L(z_m, θ_c)⟩
 * into the examples' columns. Cost: C forward and backward passes over the training set, L scoring
 * products (the sum over a segment's checkpoints is formed before the product with u_ℓ where u_ℓ
 * is held in an eigenbasis), and the curvature fits.
 */
public final class Source {
  private final SourceInputs inputs;
  private final SourceOptions options;
  private final List<FittedSegment> fitted;

  private Source(SourceInputs inputs, SourceOptions options, List<FittedSegment> fitted) {
    this.inputs = inputs;
    this.options = options;
    this.fitted = List.copyOf(fitted);
  }

  /** Fits every segment's curvature (independent of the queries). */
  public static Source fit(SourceInputs inputs, SourceOptions options) {
    List<FittedSegment> out = new ArrayList<>();
    for (SourceSegment seg : inputs.segments()) {
      Tensor p = averagedPreconditioner(inputs, seg);
      out.add(new FittedSegment(seg, SegmentFits.fit(inputs, seg, options, p), p, options.form()));
    }
    return new Source(inputs, options, out);
  }

  /** Fit and score the task's queries. */
  public static Scores pairwise(SourceInputs inputs, SourceOptions options) {
    return fit(inputs, options).pairwise();
  }

  /** Fit and score every training example's self-influence. */
  public static Scores selfInfluence(SourceInputs inputs, SourceOptions options) {
    return fit(inputs, options).selfInfluence();
  }

  /** The mean over the segment's checkpoints of the diagonal preconditioner, flat [P] float64 in block order; null for SGD. */
  static Tensor averagedPreconditioner(SourceInputs inputs, SourceSegment seg) {
    if (!inputs.stages().get(seg.stage()).dynamics().preconditioned()) return null;
    Tensor sum = null;
    try (var g = GradMode.off()) {
      for (SourceCheckpoint c : seg.checkpoints()) {
        Tensor f = inputs.task().layout().flatten(c.preconditioner());
        sum = sum == null ? f : sum.add(f);
      }
      return sum.div(seg.numCheckpoints()).contiguous();
    }
  }

  public SourceInputs inputs() { return inputs; }

  public SourceOptions options() { return options; }

  /** The fitted segments in step order. */
  public List<FittedSegment> segments() { return fitted; }

  /** {@code source/CURVATURE} (or {@code fast-source/...}), with {@code /power} for the power form. */
  public String methodName() {
    return (inputs.isFast() ? "fast-source/" : "source/") + options.curvatureName() + (options.form() == SourceOptions.Form.POWER ? "/power" : "");
  }

  /**
   * u_ℓ for every segment ℓ (in step order) and every row q of {@code queryGradients} [Q, P] (block
   * order): u_ℓ = r̄_ℓ's transpose applied to S̄_{ℓ+1}ᵀ ⋯ S̄_Lᵀ q, so that the segment's contribution is
   * ⟨u_ℓ, ḡ_ℓ(z)⟩ (before the stage weight w_ℓ). Float64 [Q, P] each.
   */
  public List<Tensor> segmentVectors(Tensor queryGradients) {
    Tensor[] u = new Tensor[fitted.size()];
    Tensor v;
    try (var g = GradMode.off()) {
      v = queryGradients.detach().to(DType.F64);
    }
    for (int l = fitted.size() - 1; l >= 0; l--) {
      if (l == 0) {
        u[l] = fitted.get(l).gain(v);
      } else {
        Tensor[] up = fitted.get(l).gainAndPropagate(v);
        u[l] = up[0];
        v = up[1];
      }
    }
    return Arrays.asList(u);
  }

  /** Scores of the task's queries. */
  public Scores pairwise() {
    return pairwise(inputs.task().queries());
  }

  /** Scores of other queries (same model, measurement and training set), τ [Q × N]. */
  public Scores pairwise(Dataset queries) {
    AttributionTask t = inputs.task().withQueries(queries);
    int q = t.numQueries(), n = t.numTrain();
    double[][] values = new double[q][];
    int chunk = options.score().queryChunk() == 0 ? Math.max(1, q) : options.score().queryChunk();
    for (int[] rows : Gradients.ranges(q, chunk)) {
      AttributionTask sub = t.withQueries(queries.subset(rows));
      Gradients.QueryGradients g = Gradients.queriesWithFactors(sub, inputs.finalParameters(), options.score().queryBatchSize());
      double[][] part = score(segmentQueries(g.flat(), g.factors()), rows.length, n);
      System.arraycopy(part, 0, values, rows[0], part.length);
    }
    return Scores.pairwise(methodName(), values, settings(t));
  }

  /**
   * u_ℓ of {@link #segmentVectors} as query blocks for the training sweeps: a segment with a
   * Kronecker curvature in SGD coordinates keeps its u_ℓ in its eigenbasis, u_ℓ = Q_S [φ_r(Λ) ⊙ R] Q_Aᵀ
   * with R the rotated v, and is scored there ({@link BlockQueries.Eigenbasis}); only the propagated
   * v is rotated back. That saves one of the three [Q, out, in]·(out + in) rotations per segment.
   */
  List<BlockQueries[]> segmentQueries(Tensor queryGradients) {
    return segmentQueries(queryGradients, null);
  }

  /**
   * As {@link #segmentQueries(Tensor)}, given also the queries' rank-one factors per block
   * ({@link Gradients.QueryGradients#factors}; null, or null for a block, where there are none): the
   * first Kronecker segment then rotates a rank-one block's query gradients g āᵀ as
   * (Q_Sᵀg)(Q_Aᵀā)ᵀ, two products of [Q, out] and [Q, in] rows, instead of the two products of
   * Q·out·in·(out + in) multiply-adds that rotate the formed matrices.
   */
  List<BlockQueries[]> segmentQueries(Tensor queryGradients, Tensor[][] factors) {
    GradientLayout layout = inputs.task().layout();
    DType dt = inputs.finalParameters().get(0).dtype();
    int q = queryGradients.dim(0);
    BlockQueries[][] out = new BlockQueries[fitted.size()][];
    Tensor v;
    // Between Kronecker segments the propagated v stays in eigen-coordinates, in the scoring layout
    // Rᵀ [in, Q·out] (block q of the columns is R_qᵀ): held as p, per block, in the basis of `held`,
    // and moved to the next basis by the change of basis, R' = (Q_S'ᵀQ_S) R (Q_Aᵀ Q_A'). In that
    // layout each product, for all queries at once, is one GEMM (a left product of [in, Q·out], or
    // a right product of its [in·Q, out] view), and the scoring needs no transposition.
    // The coordinates are computed in the model's dtype (float64 models keep float64 throughout):
    // they are scored against the training factors in that dtype anyway. Bases, eigenvalues and
    // their functions are float64, rounded once.
    Tensor[] p = null;
    KroneckerCurvature held = null;
    DType work = dt == DType.F32 ? DType.F32 : DType.F64;
    try (var g = GradMode.off()) {
      v = queryGradients.detach().to(DType.F64);
      // The factors are those of the query gradients themselves, not of a v propagated from them.
      Tensor given = v;
      for (int l = fitted.size() - 1; l >= 0; l--) {
        FittedSegment f = fitted.get(l);
        if (f.curvature() instanceof SegmentCurvature.Kronecker k && f.sqrtPreconditioner() == null) {
          KroneckerCurvature kc = k.curvature();
          BlockQueries[] bq = new BlockQueries[layout.numBlocks()];
          Tensor[] next = new Tensor[layout.numBlocks()];
          for (int b = 0; b < bq.length; b++) {
            KroneckerEigen e = kc.layer(b);
            Tensor rt = p != null ? changeOfBasis(held.layer(b), e, p[b], q)
                : factors != null && factors[b] != null && v == given ? rotatedRankOne(factors[b][0], factors[b][1], e, work)
                : rightBlocks(e.qA().t().to(work).matmul(OuterProductQueries.transposedFrom(layout.blockOf(v, b), work)), e.qS().to(work), q);
            bq[b] = BlockQueries.Eigenbasis.ofTransposed(e.qS(), e.qA(), scaled(rt, e.map(f.gainFunction()), q), q);
            if (l > 0) next[b] = scaled(rt, e.map(f.propagateFunction()), q);
          }
          out[l] = bq;
          p = next;
          held = kc;
          continue;
        }
        if (p != null) {
          List<Tensor> full = new ArrayList<>();
          for (int b = 0; b < p.length; b++) {
            KroneckerEigen e = held.layer(b);
            // V_qᵀ = Q_A R_qᵀ Q_Sᵀ, back to [Q, out, in].
            Tensor vt = rightBlocks(e.qA().to(p[b].dtype()).matmul(p[b]), e.qS().t().to(p[b].dtype()), q);
            full.add(vt.reshape(e.inDim(), q, e.outDim()).permute(1, 2, 0).to(DType.F64).contiguous());
          }
          v = layout.concat(full);
          p = null;
        }
        if (l == 0) {
          out[l] = GradientDots.blocks(layout, f.gain(v), dt);
        } else {
          Tensor[] up = f.gainAndPropagate(v);
          out[l] = GradientDots.blocks(layout, up[0], dt);
          v = up[1];
        }
      }
    }
    return Arrays.asList(out);
  }

  /**
   * Rᵀ [in, Q·out] of rank-one query gradients g_q ā_qᵀ (g [Q, out], ā [Q, in], float64) in the
   * Kronecker eigenbasis of e: R_q = Q_Sᵀ g_q ā_qᵀ Q_A = u_q w_qᵀ with u = g·Q_S and w = ā·Q_A, so entry
   * (k, q·out + j) is w[q, k]·u[q, j], formed in float64 and rounded once to {@code work}.
   */
  private static Tensor rotatedRankOne(Tensor g, Tensor a, KroneckerEigen e, DType work) {
    int q = g.dim(0), out = e.outDim(), in = e.inDim(), width = q * out;
    double[] u = g.matmul(e.qS()).toDoubleArray(), w = a.matmul(e.qA()).toDoubleArray();
    double[] d = work == DType.F64 ? new double[in * width] : null;
    float[] f = d == null ? new float[in * width] : null;
    dev.unroll.autodiff.Parallel.forChunks(in, k -> {
      for (int r = 0; r < q; r++) {
        double wk = w[r * in + k];
        int dst = k * width + r * out, ur = r * out;
        if (d != null) for (int j = 0; j < out; j++) d[dst + j] = wk * u[ur + j];
        else for (int j = 0; j < out; j++) f[dst + j] = (float) (wk * u[ur + j]);
      }
    });
    return d != null ? Tensor.of(d, in, width) : Tensor.of(f, in, width);
  }

  /** X [in, Q·out] with each [in, out] block of columns multiplied on the right by m [out, out']: one product of the [in·Q, out] view. */
  private static Tensor rightBlocks(Tensor x, Tensor m, int q) {
    int in = x.dim(0), out = x.dim(1) / q;
    return x.contiguous().reshape(in * q, out).matmul(m).reshape(in, q * m.dim(1));
  }

  /** Rᵀ [in, Q·out] with every block R_q multiplied entrywise by φ [out, in] (float64, rounded to Rᵀ's dtype once). */
  private static Tensor scaled(Tensor rt, Tensor phi, int q) {
    int in = rt.dim(0), out = rt.dim(1) / q;
    return rt.reshape(in, q, out).mul(phi.t().to(rt.dtype()).contiguous().reshape(in, 1, out)).reshape(in, q * out);
  }

  /**
   * Transposed coordinates pt [in, Q·out] in the eigenbasis of {@code from} moved to that of
   * {@code to}, in pt's dtype: R' = C_S R C_A with C_S = Q_S'ᵀ Q_S and C_A = Q_Aᵀ Q_A', so
   * R'ᵀ = C_Aᵀ Rᵀ C_Sᵀ.
   */
  private static Tensor changeOfBasis(KroneckerEigen from, KroneckerEigen to, Tensor pt, int q) {
    DType w = pt.dtype();
    Tensor caT = to.qA().t().matmul(from.qA()).to(w), csT = from.qS().t().matmul(to.qS()).to(w);
    return rightBlocks(caT.matmul(pt), csT, q);
  }

  /**
   * Σ_ℓ (w_ℓ/C_ℓ) ⟨u_ℓ, Σ_c ∇L(z, θ_c)⟩ for every query row and scored training example: one
   * streaming sweep per segment over its stage's data, each batch passed through the model at every
   * checkpoint of the segment; with u_ℓ in a Kronecker eigenbasis the segment's C checkpoints cost
   * one scoring GEMM per batch, not C ({@link GradientDots#accumulateOverPasses}).
   */
  private double[][] score(List<BlockQueries[]> u, int q, int n) {
    double[][] out = new double[q][n];
    int trainBatch = options.score().trainBatchSize();
    for (int l = 0; l < fitted.size(); l++) {
      SourceSegment seg = fitted.get(l).segment();
      SourceStage st = inputs.stages().get(seg.stage());
      AttributionTask stageTask = inputs.stageTask(seg.stage());
      double w = inputs.stageWeight(seg.stage()) / seg.numCheckpoints();
      List<List<Tensor>> at = new ArrayList<>();
      for (SourceCheckpoint c : seg.checkpoints()) at.add(c.parameters());
      GradientDots.accumulateOverPasses(stageTask, at, u.get(l), trainBatch, w, out, st.columns());
    }
    return out;
  }

  /**
   * Self-influence τ(z_m, z_m) of every scored training example, the measurement being the training
   * loss L(z_m, θ_T): the diagonal of {@link #pairwise} on {@link AttributionTask#trainAsQueries()},
   * computed batch by batch without the N × N matrix. For Kronecker curvatures of SGD-type stages on
   * a model of rank-one blocks (an MLP) in the segments' eigenbases ({@link EigenbasisSelfInfluence});
   * otherwise by forming u_ℓ for every training example and dotting it with every checkpoint's
   * per-example gradients.
   */
  public Scores selfInfluence() {
    AttributionTask t = inputs.task();
    int n = t.numTrain();
    double[] out = new double[n];
    int[][] rowOf = new int[inputs.stages().size()][];
    for (int s = 0; s < rowOf.length; s++) rowOf[s] = inputs.stages().get(s).rowsOfColumns(n);
    EigenbasisSelfInfluence eigen = EigenbasisSelfInfluence.of(this);
    for (int[] rows : Gradients.ranges(n, options.score().trainBatchSize())) {
      if (eigen != null) {
        eigen.addBatch(rows, rowOf, out);
        continue;
      }
      Tensor g = Gradients.training(t, inputs.finalParameters(), rows);
      List<Tensor> u = segmentVectors(g);
      for (int l = 0; l < fitted.size(); l++) {
        SourceSegment seg = fitted.get(l).segment();
        int s = seg.stage();
        List<Integer> pos = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) if (rowOf[s][rows[i]] >= 0) pos.add(i);
        if (pos.isEmpty()) continue;
        int[] sel = pos.stream().mapToInt(Integer::intValue).toArray();
        int[] stageRows = new int[sel.length];
        for (int j = 0; j < sel.length; j++) stageRows[j] = rowOf[s][rows[sel[j]]];
        Tensor us;
        try (var off = GradMode.off()) {
          us = sel.length == rows.length ? u.get(l) : Ops.indexSelect(u.get(l), 0, sel).contiguous();
        }
        double w = inputs.stageWeight(s) / seg.numCheckpoints();
        for (SourceCheckpoint c : seg.checkpoints()) {
          double[] d = GradientDots.rowDots(us, Gradients.training(inputs.stageTask(s), c.parameters(), stageRows));
          for (int j = 0; j < sel.length; j++) out[rows[sel[j]]] += w * d[j];
        }
      }
    }
    Map<String, String> s = settings(t.trainAsQueries());
    s.put("measurement", "training loss");
    return Scores.selfInfluence(methodName(), out, s);
  }

  /** Everything the scores depend on. */
  private Map<String, String> settings(AttributionTask t) {
    Map<String, String> s = new LinkedHashMap<>(options.describe());
    s.putAll(inputs.describe());
    StringBuilder cs = new StringBuilder("[");
    for (int l = 0; l < fitted.size(); l++) cs.append(l == 0 ? "" : ", ").append(fitted.get(l).segment().c());
    s.put("c", cs.append(']').toString());
    s.put("measurement", t.measurement().toString());
    s.put("loss", t.loss().toString());
    s.put("n_train", Integer.toString(t.numTrain()));
    s.put(Scores.EFFECT_SCALE, Double.toString(1.0 / t.numTrain()));
    s.put("final_parameters_sha256", Fingerprints.parameters(inputs.finalParameters()));
    s.put("train_batch_size", Integer.toString(options.score().trainBatchSize()));
    return s;
  }
}
