package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.MseLoss;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.Fingerprints;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * TRAK (Park et al. 2023; method.md §5) in this project's sign convention: for each model (e.g.
 * trained on a random half of the data), project per-example gradients to k dimensions with a
 * seeded random matrix R, form the after-kernel K = (1/N)·ΦᵀΦ from the projected training
 * features Φ, and score τ(q, m) = (R∇f(z_q))ᵀ (K + λI)⁻¹ (R∇L(z_m)); average over models.
 *
 * <p>The kernel features are either the projected training-loss gradients ({@link Kernel#LOSS}:
 * the influence function of the empirical Fisher in the projected space) or, as in TRAK, the
 * projected gradients of the model output function ({@link Kernel#OUTPUT}: the margin
 * log(p/(1−p)) of the true class for cross-entropy, the output itself for a one-output squared
 * error). With K the mean over examples, the values are in influence-function units (the effect of
 * removing z_m is ≈ τ/N, recorded as {@link Scores#EFFECT_SCALE}); TRAK's own scores use the sum
 * ΦᵀΦ and the inclusion sign, i.e. they are −τ/N up to the output-to-loss weighting.
 */
public final class Trak {
  private Trak() {}

  /** Which projected gradients build the kernel. */
  public enum Kernel { LOSS, OUTPUT }

  /**
   * @param dimension k, the projected dimension (512-4096 in the literature)
   * @param projection entry distribution of R
   * @param seed seed of R; model i uses seed + i
   * @param kernel the kernel features
   * @param damping λ (its mean eigenvalue is trace(K)/k); a tiny ridge keeps K invertible
   * @param batchSize examples per gradient pass
   * @param cacheBytes largest R kept in memory ({@link RandomProjection}); the default is a quarter of
   *     the JVM's maximum heap. A larger R is regenerated for every batch: Rademacher entries are
   *     cheap to regenerate, Gaussian ones are not, so prefer Rademacher for large models
   */
  public record Options(int dimension, RandomProjection.Kind projection, long seed, Kernel kernel, Damping damping, int batchSize, long cacheBytes) {
    public static Options defaults(int dimension) {
      return new Options(dimension, RandomProjection.Kind.RADEMACHER, 0, Kernel.LOSS, Damping.meanEigenvalue(1e-6), 128, Runtime.getRuntime().maxMemory() / 4);
    }

    public Options withKernel(Kernel k) { return new Options(dimension, projection, seed, k, damping, batchSize, cacheBytes); }

    public Options withProjection(RandomProjection.Kind p) { return new Options(dimension, p, seed, kernel, damping, batchSize, cacheBytes); }

    public Options withSeed(long s) { return new Options(dimension, projection, s, kernel, damping, batchSize, cacheBytes); }

    public Options withDamping(Damping d) { return new Options(dimension, projection, seed, kernel, d, batchSize, cacheBytes); }

    public Options withBatchSize(int b) { return new Options(dimension, projection, seed, kernel, damping, b, cacheBytes); }

    public Options withCacheBytes(long c) { return new Options(dimension, projection, seed, kernel, damping, batchSize, c); }
  }

  /** One model's projected quantities. */
  private record Fit(Tensor trainFeatures, CholeskyDecomposition kernel, double lambda, RandomProjection projection) {}

  /** TRAK scores averaged over the models' parameter values. */
  public static Scores scores(AttributionTask task, List<List<Tensor>> models, Options o) {
    List<Scores> runs = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      List<Tensor> params = models.get(m);
      Fit fit = fit(task, params, o, o.seed() + m);
      Tensor q = fit.projection.project(Gradients.queries(task, params, o.batchSize())).to(DType.F64);
      Tensor sq = solve(fit, q);
      double[][] v = toRows(sq.matmul(fit.trainFeatures.t()));
      runs.add(Scores.pairwise("trak", v, settings(task, params, o, m, fit)));
    }
    return runs.size() == 1 ? runs.get(0) : Scores.average(runs).withSetting("models", Integer.toString(models.size()));
  }

  /** Self-influence x_mᵀ (K + λI)⁻¹ x_m with x_m the projected loss gradient, averaged over the models. */
  public static Scores selfInfluence(AttributionTask task, List<List<Tensor>> models, Options o) {
    List<Scores> runs = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      List<Tensor> params = models.get(m);
      Fit fit = fit(task, params, o, o.seed() + m);
      Tensor x = fit.trainFeatures;
      double[] v = x.mul(solve(fit, x)).sum(1).toDoubleArray();
      runs.add(Scores.selfInfluence("trak", v, settings(task, params, o, m, fit)));
    }
    return runs.size() == 1 ? runs.get(0) : Scores.average(runs).withSetting("models", Integer.toString(models.size()));
  }

  private static Fit fit(AttributionTask task, List<Tensor> params, Options o, long seed) {
    int n = task.numTrain(), k = o.dimension();
    RandomProjection proj = new RandomProjection(task.layout().size(), k, o.projection(), seed, params.get(0).dtype(), o.cacheBytes());
    Tensor[] kernel = {Tensor.zeros(DType.F64, k, k)};
    List<Tensor> features = new ArrayList<>();
    for (int[] rows : Gradients.ranges(n, o.batchSize())) {
      Batch b = task.train().batch(rows);
      CapturedPass.run(task.model(), task.layout(), params, b.x(), pass -> {
        Tensor phi = null;
        if (o.kernel() == Kernel.OUTPUT) {
          Tensor total = outputFunction(task).perExample(pass.output(), b.y()).sum();
          phi = proj.project(pass.flatGradients(pass.gradients(total, true))).to(DType.F64);
        }
        Tensor total = task.loss().perExample(pass.output(), b.y()).sum();
        Tensor x = proj.project(pass.flatGradients(pass.gradients(total, false))).to(DType.F64);
        if (phi == null) phi = x;
        try (var s = GradMode.off()) {
          kernel[0] = kernel[0].add(phi.t().matmul(phi));
        }
        features.add(x);
        return null;
      });
    }
    double[] kv = kernel[0].toDoubleArray();
    double trace = 0;
    for (int i = 0; i < k; i++) trace += kv[i * k + i] / n;
    double lambda = o.damping().resolve(trace / k);
    double[][] km = new double[k][k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) km[i][j] = 0.5 * (kv[i * k + j] + kv[j * k + i]) / n;
      km[i][i] += lambda;
    }
    CholeskyDecomposition chol;
    try {
      chol = new CholeskyDecomposition(new Array2DRowRealMatrix(km, false), 1e-14, 0);
    } catch (NonPositiveDefiniteMatrixException e) {
      throw new ArithmeticException("TRAK kernel (k=" + k + ", N=" + n + ") is not positive definite with damping " + lambda + "; increase the damping or use k ≤ N");
    }
    Tensor x;
    try (var s = GradMode.off()) {
      x = features.size() == 1 ? features.get(0) : dev.unroll.autodiff.Ops.concat(0, features.toArray(new Tensor[0]));
    }
    return new Fit(x, chol, lambda, proj);
  }

  /** The output function of TRAK's kernel for the task's loss. */
  static Gradients.Objective outputFunction(AttributionTask task) {
    if (task.loss() instanceof CrossEntropyLoss) return Measurement.margin()::perExample;
    if (task.loss() instanceof MseLoss) {
      return (out, y) -> {
        if (out.numel() != out.dim(0)) throw new IllegalArgumentException("TRAK's output kernel needs one output per example for squared error, got shape " + java.util.Arrays.toString(out.shape()) + "; use Kernel.LOSS");
        return out.reshape(out.dim(0));
      };
    }
    throw new IllegalArgumentException("TRAK's output kernel is defined for CrossEntropyLoss and MseLoss, not " + task.loss() + "; use Kernel.LOSS");
  }

  /** Rows of (K + λI)⁻¹ applied to each row of {@code rows} [R, k]. */
  private static Tensor solve(Fit fit, Tensor rows) {
    int r = rows.dim(0), k = rows.dim(1);
    double[] v = rows.toDoubleArray();
    double[][] cols = new double[k][r];
    for (int i = 0; i < r; i++) for (int j = 0; j < k; j++) cols[j][i] = v[i * k + j];
    RealMatrix sol = fit.kernel.getSolver().solve(new Array2DRowRealMatrix(cols, false));
    double[] out = new double[r * k];
    for (int i = 0; i < r; i++) for (int j = 0; j < k; j++) out[i * k + j] = sol.getEntry(j, i);
    return Tensor.of(out, r, k);
  }

  private static double[][] toRows(Tensor t) {
    int r = t.dim(0), c = t.dim(1);
    double[] v = t.toDoubleArray();
    double[][] out = new double[r][c];
    for (int i = 0; i < r; i++) System.arraycopy(v, i * c, out[i], 0, c);
    return out;
  }

  private static Map<String, String> settings(AttributionTask task, List<Tensor> params, Options o, int model, Fit fit) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("measurement", task.measurement().toString());
    s.put("loss", task.loss().toString());
    s.put("n_train", Integer.toString(task.numTrain()));
    s.put(Scores.EFFECT_SCALE, Double.toString(1.0 / task.numTrain()));
    s.put("projection", fit.projection.describe());
    s.put("kernel", o.kernel().name().toLowerCase());
    s.put("damping", o.damping().describe());
    s.put("damping_value", Double.toString(fit.lambda));
    s.put("score_parameters_sha256", Fingerprints.parameters(params));
    return s;
  }
}
