package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fitting K-FAC and EK-FAC (method.md §3) on every Linear and Conv2d layer of a task's model at
 * given parameters, in three steps that SOURCE can also run separately per checkpoint:
 * <ol>
 *   <li>{@link #covariances}: the factors A and S ({@link KroneckerFactors});</li>
 *   <li>{@link KroneckerFactors#eigenbasis}: their eigendecompositions in float64;</li>
 *   <li>{@link #correction}: the eigenvalue correction Λ[i, j] = (1/N) Σₙ Σ_c ((Q_Sᵀ Gₙ_c Q_A)[i, j])²,
 *       with Gₙ_c example n's layer gradient for output cotangent c. For the mean objective
 *       (1/N) Σₙ Lₙ this is the diagonal, in the Kronecker eigenbasis, of the curvature
 *       (1/N) Σₙ Σ_c uₙ_c uₙ_cᵀ itself, so Λ has the units of the Hessian of the mean loss.</li>
 * </ol>
 */
public final class Ekfac {
  private Ekfac() {}

  /**
   * EK-FAC at {@code params}: covariances, eigenbases and eigenvalue correction, one fit; the
   * correction reads the covariance pass's rows where they were kept ({@link CovariancePass}).
   */
  public static KroneckerCurvature ekfac(AttributionTask task, List<Tensor> params, FitOptions options) {
    CovariancePass pass = covariancePass(task, params, options);
    KroneckerBasis basis = pass.factors().eigenbasis();
    return basis.withEigenvalues(pass.correction(basis), Map.of());
  }

  /** K-FAC at {@code params}: Λ = R·λ_S λ_Aᵀ. */
  public static KroneckerCurvature kfac(AttributionTask task, List<Tensor> params, FitOptions options) {
    return covariances(task, params, options).eigenbasis().kfac();
  }

  /** Step 1: A and S of every block, averaged per row over the first {@code options.examples(N)} training examples. */
  public static KroneckerFactors covariances(AttributionTask task, List<Tensor> params, FitOptions options) {
    return covariancePass(task, params, options, 0).factors();
  }

  /**
   * Step 1 with the pass's rows kept for step 3 when the pass ran on the CPU and they fit in
   * {@link CovariancePass#keptBytes()} ({@link CovariancePass#correction}).
   */
  public static CovariancePass covariancePass(AttributionTask task, List<Tensor> params, FitOptions options) {
    return covariancePass(task, params, options, CovariancePass.keptBytes());
  }

  /** Step 1, keeping the rows of every batch while their total stays within {@code keepBytes} (0: never). */
  public static CovariancePass covariancePass(AttributionTask task, List<Tensor> params, FitOptions options, long keepBytes) {
    GradientLayout layout = task.layout();
    int nb = layout.numBlocks();
    Tensor[] a = new Tensor[nb], s = new Tensor[nb];
    long[] rows = new long[nb];
    for (int b = 0; b < nb; b++) {
      a[b] = Tensor.zeros(DType.F64, layout.block(b).in(), layout.block(b).in());
      s[b] = Tensor.zeros(DType.F64, layout.block(b).out(), layout.block(b).out());
    }
    int n = options.examples(task.numTrain());
    List<PassRows> kept = keepBytes > 0 ? new ArrayList<>() : null;
    long held = 0;
    for (int[] idx : Gradients.ranges(n, options.batchSize())) {
      Batch batch = task.train().batch(idx);
      PassRows r = CapturedPass.run(task.model(), layout, params, batch.x(), pass -> {
        PassRows pr = PassRows.of(pass);
        perBlock(pr, nb, (b, c) -> {
          Tensor ar = pr.readActivations(pass, c).to(DType.F64);
          a[b] = pr.onDevice(a[b]).add(ar.t().matmul(ar));
          rows[b] += ar.dim(0);
        });
        List<Tensor> cots = OutputDirections.of(task.loss(), options, pass.output(), batch.y(), idx);
        for (int k = 0; k < cots.size(); k++) {
          List<Tensor> ds = pass.vjp(cots.get(k), k + 1 < cots.size());
          int dir = pr.addDirection();
          perBlock(pr, nb, (b, c) -> {
            Tensor gr = pr.readGradients(pass, dir, c, ds).to(DType.F64);
            s[b] = pr.onDevice(s[b]).add(gr.t().matmul(gr));
          });
        }
        return pr;
      });
      if (kept != null) {
        held += r.bytes();
        if (r.backend().isCpu() && held <= keepBytes) kept.add(r);
        else kept = null;
      }
    }
    List<Tensor> la = new ArrayList<>(), ls = new ArrayList<>();
    double[] r = new double[nb];
    try (var g = GradMode.off()) {
      for (int b = 0; b < nb; b++) {
        double d = Math.max(1, rows[b]);
        // Sums over batches accumulate on the pass's device; the factors are CPU tensors.
        la.add(a[b].div(d).cpu());
        ls.add(s[b].div(d).cpu());
        r[b] = rows[b] / (double) n;
      }
    }
    KroneckerFactors factors = new KroneckerFactors(layout, la, ls, r, n, settings(task, params, options));
    return new CovariancePass(task, params, options, factors, kept);
  }

  /**
   * Step 3: Λ per block [out, in] in the given bases at {@code params}, averaged over the first
   * {@code options.examples(N)} training examples, from a fresh pass over them. SOURCE calls this
   * (or {@link CovariancePass#correction}) per checkpoint with the segment's basis and averages the results.
   */
  public static List<Tensor> correction(AttributionTask task, List<Tensor> params, KroneckerBasis basis, FitOptions options) {
    GradientLayout layout = task.layout();
    Tensor[] lambda = zeroCorrection(layout);
    int n = options.examples(task.numTrain());
    for (int[] idx : Gradients.ranges(n, options.batchSize())) {
      Batch batch = task.train().batch(idx);
      CapturedPass.run(task.model(), layout, params, batch.x(), pass -> {
        List<Tensor> cots = OutputDirections.of(task.loss(), options, pass.output(), batch.y(), idx);
        PassRows pr = PassRows.of(pass);
        Tensor[] rotatedInputs = new Tensor[pr.calls()];
        for (int k = 0; k < cots.size(); k++) {
          List<Tensor> ds = pass.vjp(cots.get(k), k + 1 < cots.size());
          int dir = pr.addDirection();
          perBlock(pr, layout.numBlocks(), (b, c) -> {
            if (dir == 0) pr.readActivations(pass, c);
            pr.readGradients(pass, dir, c, ds);
          });
          addCorrection(pr, dir, basis, rotatedInputs, lambda);
          pr.dropDirection(dir);
        }
        return null;
      });
    }
    return meanCorrection(lambda, n);
  }

  /** Step 3 from kept rows: the same sums as {@link #correction} in the same order. */
  static List<Tensor> correction(List<PassRows> rows, KroneckerBasis basis, int n) {
    if (rows.isEmpty()) throw new IllegalArgumentException("no kept rows to correct from");
    Tensor[] lambda = zeroCorrection(rows.get(0).layout());
    for (PassRows pr : rows) {
      Tensor[] rotatedInputs = new Tensor[pr.calls()];
      for (int k = 0; k < pr.directions(); k++) addCorrection(pr, k, basis, rotatedInputs, lambda);
    }
    return meanCorrection(lambda, n);
  }

  private static Tensor[] zeroCorrection(GradientLayout layout) {
    Tensor[] lambda = new Tensor[layout.numBlocks()];
    for (int b = 0; b < lambda.length; b++) lambda[b] = Tensor.zeros(DType.F64, layout.block(b).out(), layout.block(b).in());
    return lambda;
  }

  /** lambda[b] += Σₙ (Q_Sᵀ Gₙ Q_A)² over the rows' examples for output direction k, every block b. */
  private static void addCorrection(PassRows pr, int direction, KroneckerBasis basis, Tensor[] rotatedInputs, Tensor[] lambda) {
    // rotatedInputs is indexed by call, and each call belongs to one block.
    forEachBlock(pr, lambda.length, b -> lambda[b] = pr.onDevice(lambda[b]).add(RotatedGradients.of(pr, direction, b, basis.qS(b), basis.qA(b), rotatedInputs).sumOfSquares()));
  }

  private static List<Tensor> meanCorrection(Tensor[] lambda, int n) {
    List<Tensor> out = new ArrayList<>();
    try (var g = GradMode.off()) {
      for (Tensor l : lambda) out.add(l.div(n).cpu());
    }
    return out;
  }

  /** The work of one block for one of its calls in a pass. */
  private interface BlockCall {
    void accept(int block, int call);
  }

  /** Runs {@code body} for every block, its calls in order ({@link #forEachBlock}). */
  private static void perBlock(PassRows pass, int nb, BlockCall body) {
    forEachBlock(pass, nb, b -> {
      for (int c = 0; c < pass.calls(); c++) if (pass.blockOf(c) == b) body.accept(b, c);
    });
  }

  /**
   * Runs {@code body} for every block with gradients off. On the CPU the blocks run in parallel,
   * one block per chunk, so each block's sums are added by one thread in a fixed order (the result
   * does not depend on the thread count) and a block's small products run whole on one thread
   * instead of being split between threads product by product (on Concrete, a hundred and forty
   * products of about 129 × 128 × 129 per fit, each costing a hand-over between threads). A device
   * backend takes them one after another: its queue, not the host's threads, runs them in parallel.
   */
  private static void forEachBlock(PassRows pass, int nb, java.util.function.IntConsumer body) {
    java.util.function.IntConsumer off = b -> {
      try (var g = GradMode.off()) {
        body.accept(b);
      }
    };
    if (pass.backend().isCpu()) Parallel.forChunks(nb, off);
    else for (int b = 0; b < nb; b++) off.accept(b);
  }

  /** The entrywise mean of several checkpoints' eigenvalue corrections in one basis (SOURCE's Λ̄ of a segment). */
  public static List<Tensor> averageEigenvalues(List<List<Tensor>> perCheckpoint) {
    if (perCheckpoint.isEmpty()) throw new IllegalArgumentException("average of no eigenvalue corrections");
    int nb = perCheckpoint.get(0).size();
    List<Tensor> out = new ArrayList<>();
    try (var g = GradMode.off()) {
      for (int b = 0; b < nb; b++) {
        Tensor s = null;
        for (List<Tensor> l : perCheckpoint) {
          if (l.size() != nb) throw new IllegalArgumentException("eigenvalue corrections for " + l.size() + " and " + nb + " blocks");
          s = s == null ? l.get(b) : s.add(l.get(b));
        }
        out.add(s.div(perCheckpoint.size()));
      }
    }
    return out;
  }

  /** The arguments a fit depends on: model and data fingerprints and the options. */
  public static Map<String, String> settings(AttributionTask task, List<Tensor> params, FitOptions options) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("parameters_sha256", Fingerprints.parameters(params));
    m.put("train_sha256", Fingerprints.dataset(task.train()));
    m.put("loss", task.loss().toString());
    m.put("layout", task.layout().toString());
    m.putAll(options.describe());
    m.put("examples", Integer.toString(options.examples(task.numTrain())));
    return m;
  }
}
