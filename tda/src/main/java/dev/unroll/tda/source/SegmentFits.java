package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.curvature.DenseCurvature;
import dev.unroll.tda.curvature.CovariancePass;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerBasis;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.KroneckerEigen;
import dev.unroll.tda.curvature.KroneckerFactors;
import dev.unroll.tda.curvature.OutputDirections;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fitting one segment's curvature G on its stage's data (method.md §4, "per segment"). With H̄ the
 * average over the segment's checkpoints of the chosen estimate, λ the stage's weight decay and p
 * the segment's averaged diagonal preconditioner (1 for SGD):
 * <ul>
 *   <li>SGD: G = H̄ + λI;</li>
 *   <li>Adam: G = P^{1/2}(H̄ + λI)P^{1/2};</li>
 *   <li>AdamW: G = P^{1/2}H̄P^{1/2} + λI.</li>
 * </ul>
 * Dense estimates are transformed exactly. For EK-FAC the eigenbasis is that of the averaged
 * (unpreconditioned) Kronecker factors, and the eigenvalues are the eigenvalue corrections of the
 * preconditioned gradients P^{1/2}∇ (the diagonal of Qᵀ(P^{1/2}ĤP^{1/2})Q, averaged over the
 * checkpoints), plus λ·diag(QᵀPQ) for Adam's L2 term, λ otherwise: the same diagonal-in-the-basis
 * approximation EK-FAC makes for the plain curvature. K-FAC has no such correction and is refused
 * for preconditioned stages.
 */
final class SegmentFits {
  private SegmentFits() {}

  static SegmentCurvature fit(SourceInputs in, SourceSegment seg, SourceOptions o, Tensor p) {
    AttributionTask st = in.stageTask(seg.stage());
    StageDynamics dyn = in.stages().get(seg.stage()).dynamics();
    return switch (o.curvature()) {
      case HESSIAN, FISHER -> dense(st, seg, dyn, o, p);
      case EKFAC, KFAC -> kronecker(st, seg, dyn, o, p);
    };
  }

  private static SegmentCurvature dense(AttributionTask st, SourceSegment seg, StageDynamics dyn, SourceOptions o, Tensor p) {
    int n = st.layout().size();
    double[][] avg = new double[n][n];
    Map<String, String> settings = null;
    String kind = null;
    for (SourceCheckpoint c : seg.checkpoints()) {
      DenseCurvature d = o.curvature() == SourceOptions.Curvature.HESSIAN ? DenseCurvature.hessian(st, c.parameters(), o.fit()) : DenseCurvature.fisher(st, c.parameters(), o.fit());
      double[][] m = d.matrix();
      for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) avg[i][j] += m[i][j] / seg.numCheckpoints();
      if (settings == null) {
        settings = new LinkedHashMap<>(d.settings());
        kind = d.kind();
      }
    }
    double[] pv = p == null ? null : p.toDoubleArray();
    double lambda = dyn.weightDecay();
    double[][] g = new double[n][n];
    for (int i = 0; i < n; i++) {
      double si = pv == null ? 1 : Math.sqrt(pv[i]);
      for (int j = 0; j < n; j++) {
        double sj = pv == null ? 1 : Math.sqrt(pv[j]);
        g[i][j] = si * avg[i][j] * sj;
      }
      g[i][i] += lambda * (dyn.kind() == StageDynamics.Kind.ADAM ? pv[i] : 1);
    }
    return new SegmentCurvature.Dense(new DenseCurvature(st.layout(), g, kind, segmentSettings(settings, seg, dyn)));
  }

  private static SegmentCurvature kronecker(AttributionTask st, SourceSegment seg, StageDynamics dyn, SourceOptions o, Tensor p) {
    boolean ekfac = o.curvature() == SourceOptions.Curvature.EKFAC;
    if (!ekfac && p != null) throw new IllegalArgumentException("K-FAC has no eigenvalue correction for a preconditioned (" + dyn + ") stage; use EKFAC or a dense curvature");
    FitOptions fit = o.fit();
    List<KroneckerFactors> fs = new ArrayList<>();
    // EK-FAC's corrections of a plain stage read their checkpoint's covariance pass again (kept
    // rows); the segment's passes are held together, so they share one fit's budget.
    List<CovariancePass> passes = new ArrayList<>();
    long budget = ekfac && p == null ? CovariancePass.keptBytes() / seg.numCheckpoints() : 0;
    for (SourceCheckpoint c : seg.checkpoints()) {
      CovariancePass cp = Ekfac.covariancePass(st, c.parameters(), fit, budget);
      passes.add(cp);
      fs.add(cp.factors());
    }
    KroneckerBasis basis = KroneckerFactors.average(fs).eigenbasis();
    GradientLayout layout = st.layout();
    KroneckerCurvature k;
    if (!ekfac) {
      k = basis.kfac();
    } else {
      List<Tensor> sqrtP = p == null ? null : blocks(layout, p.sqrt());
      List<List<Tensor>> perCheckpoint = new ArrayList<>();
      for (int i = 0; i < seg.numCheckpoints(); i++) {
        perCheckpoint.add(sqrtP == null ? passes.get(i).correction(basis) : preconditionedCorrection(st, seg.checkpoints().get(i).parameters(), basis, fit, sqrtP));
      }
      List<Tensor> mean = Ekfac.averageEigenvalues(perCheckpoint);
      k = basis.withEigenvalues(mean, Map.of());
    }
    double lambda = dyn.weightDecay();
    if (lambda != 0) {
      List<Tensor> pb = dyn.kind() == StageDynamics.Kind.ADAM ? blocks(layout, p) : null;
      List<Tensor> shifted = new ArrayList<>();
      try (var g = GradMode.off()) {
        for (int b = 0; b < layout.numBlocks(); b++) {
          KroneckerEigen e = k.layer(b);
          Tensor add = pb == null ? null : e.qS().mul(e.qS()).t().matmul(pb.get(b)).matmul(e.qA().mul(e.qA())).mul(lambda);
          shifted.add(add == null ? e.lambda().add(lambda) : e.lambda().add(add));
        }
      }
      k = k.withEigenvalues(shifted);
    }
    Map<String, String> s = segmentSettings(k.settings(), seg, dyn);
    return new SegmentCurvature.Kronecker(new KroneckerCurvature(layout, k.layers(), k.kind(), s));
  }

  /**
   * Λ'[i, j] = (1/N) Σₙ Σ_c ((Q_Sᵀ (P^{1/2} ⊙ Gₙ_c) Q_A)[i, j])² per block: the eigenvalue correction
   * of the preconditioned per-example gradients, with Gₙ_c example n's layer gradient for output
   * cotangent c ({@link OutputDirections}), materialised per example.
   */
  static List<Tensor> preconditionedCorrection(AttributionTask task, List<Tensor> params, KroneckerBasis basis, FitOptions fit, List<Tensor> sqrtP) {
    GradientLayout layout = task.layout();
    int nb = layout.numBlocks();
    Tensor[] lambda = new Tensor[nb];
    for (int b = 0; b < nb; b++) lambda[b] = Tensor.zeros(DType.F64, layout.block(b).out(), layout.block(b).in());
    int n = fit.examples(task.numTrain());
    for (int[] idx : Gradients.ranges(n, fit.batchSize())) {
      Batch batch = task.train().batch(idx);
      CapturedPass.run(task.model(), layout, params, batch.x(), pass -> {
        List<Tensor> cots = OutputDirections.of(task.loss(), fit, pass.output(), batch.y(), idx);
        for (int k = 0; k < cots.size(); k++) {
          List<Tensor> ds = pass.vjp(cots.get(k), k + 1 < cots.size());
          List<Tensor> g = pass.blockGradients(ds);
          try (var off = GradMode.off()) {
            for (int b = 0; b < nb; b++) {
              Tensor r = pass.onDevice(basis.qS(b)).t().matmul(g.get(b).to(DType.F64).mul(pass.onDevice(sqrtP.get(b)))).matmul(pass.onDevice(basis.qA(b)));
              lambda[b] = pass.onDevice(lambda[b]).add(r.mul(r).sum(0));
            }
          }
        }
        return null;
      });
    }
    List<Tensor> out = new ArrayList<>();
    try (var off = GradMode.off()) {
      for (Tensor l : lambda) out.add(l.div(n).cpu());
    }
    return out;
  }

  /** A flat block-order vector [P] as per-block matrices [out, in]. */
  static List<Tensor> blocks(GradientLayout layout, Tensor flat) {
    List<Tensor> out = new ArrayList<>();
    Tensor row = flat.reshape(1, layout.size());
    for (int b = 0; b < layout.numBlocks(); b++) {
      GradientLayout.Block bl = layout.block(b);
      out.add(layout.blockOf(row, b).reshape(bl.out(), bl.in()));
    }
    return out;
  }

  private static Map<String, String> segmentSettings(Map<String, String> fitSettings, SourceSegment seg, StageDynamics dyn) {
    Map<String, String> s = new LinkedHashMap<>(fitSettings);
    s.remove("parameters_sha256");
    int[] steps = seg.checkpoints().stream().mapToInt(SourceCheckpoint::step).toArray();
    s.put("checkpoints", Arrays.toString(steps));
    s.put("dynamics", dyn.toString());
    return s;
  }
}
