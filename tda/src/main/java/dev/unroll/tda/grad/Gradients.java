package dev.unroll.tda.grad;

import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Module;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Per-example gradients in block order ({@link GradientLayout}) at given parameter values, batch by
 * batch: one forward and one backward pass per batch, then the outer-product identity
 * (∂Lᵢ/∂W̄ = Σ_{rows r of i} gᵣ āᵣᵀ). Nothing here holds more than one batch's [B × P] matrix;
 * callers that score all training examples stream over {@link #forEachTrainingBatch}.
 */
public final class Gradients {
  private Gradients() {}

  /** A per-example scalar of the model output: {@code Loss::perExample} or {@code Measurement::perExample}. */
  @FunctionalInterface
  public interface Objective {
    /** Values [B] for outputs [B, ...] and their targets. */
    Tensor perExample(Tensor output, Targets y);
  }

  /**
   * One training batch seen by a streaming consumer: its rows (indices into the training set) and
   * the captured pass with ∂(Σᵢ Lᵢ)/∂s. Valid only inside the callback.
   */
  public static final class TrainingBatch {
    private final int start;
    private final int[] rows;
    private final CapturedPass pass;
    private final List<Tensor> ds;
    private Tensor flat;

    TrainingBatch(int start, int[] rows, CapturedPass pass, List<Tensor> ds) {
      this.start = start;
      this.rows = rows;
      this.pass = pass;
      this.ds = ds;
    }

    /** Index of the first row in the training set (rows are consecutive). */
    public int start() { return start; }

    /** The training-set indices of the batch's examples. */
    public int[] rows() { return rows.clone(); }

    public int size() { return rows.length; }

    /** The captured pass (activations per layer). */
    public CapturedPass pass() { return pass; }

    /** ∂(Σᵢ Lᵢ)/∂s for each captured call. */
    public List<Tensor> outputGradients() { return ds; }

    /** ‖∇L(z_n, θ)‖² of every example of the batch ({@link CapturedPass#squaredNorms}: rank-one blocks without per-example gradients). */
    public double[] squaredNorms() { return pass.squaredNorms(ds); }

    /** Per-example gradients of the training loss, [B, P] in block order, on the CPU (computed on first use). */
    public Tensor gradients() {
      if (flat == null) flat = pass.flatGradients(ds).cpu();
      return flat;
    }
  }

  /**
   * Per-example gradients [B, P] (block order) of {@code objective} for the examples x, y at
   * {@code params}, on the CPU (computed on the pass's device).
   */
  public static Tensor perExample(Module model, GradientLayout layout, List<Tensor> params, Tensor x, Targets y, Objective objective) {
    return CapturedPass.run(model, layout, params, x, pass -> {
      Tensor total = objective.perExample(pass.output(), y).sum();
      return pass.flatGradients(pass.gradients(total, false)).cpu();
    });
  }

  /**
   * For training rows {@code rows} at {@code params}: per block b, the rank-one factors {g, ā} of the
   * per-example training-loss gradients gₙ āₙᵀ ({@link CapturedPass#rankOneFactors}; float64, on the
   * pass's device), or null for a block that is not rank one.
   */
  public static Tensor[][] trainingFactors(AttributionTask task, List<Tensor> params, int[] rows) {
    Batch b = task.train().batch(rows);
    return CapturedPass.run(task.model(), task.layout(), params, b.x(), pass -> {
      List<Tensor> ds = pass.gradients(task.loss().perExample(pass.output(), b.y()).sum(), false);
      Tensor[][] out = new Tensor[task.layout().numBlocks()][];
      for (int k = 0; k < out.length; k++) out[k] = pass.rankOneFactors(k, ds);
      return out;
    });
  }

  /** Per-example gradients [B, P] of the training loss for training rows {@code rows}. */
  public static Tensor training(AttributionTask task, List<Tensor> params, int[] rows) {
    Batch b = task.train().batch(rows);
    return perExample(task.model(), task.layout(), params, b.x(), b.y(), task.loss()::perExample);
  }

  /** Gradients [Q, P] (block order) of the measurement of every query, computed in batches of {@code batchSize}. */
  public static Tensor queries(AttributionTask task, List<Tensor> params, int batchSize) {
    return all(task.queries(), batchSize, b -> perExample(task.model(), task.layout(), params, b.x(), b.y(), task.measurement()::perExample));
  }

  /**
   * Query gradients as {@link #queries} gives them, [Q, P] in block order, and from the same passes,
   * per block, their rank-one factors {g [Q, out], ā [Q, in]} (float64, CPU: each query's block
   * gradient is g_q ā_qᵀ) or null for a block that is not rank one.
   */
  public record QueryGradients(Tensor flat, Tensor[][] factors) {}

  /** {@link QueryGradients} of every query, computed in batches of {@code batchSize}. */
  public static QueryGradients queriesWithFactors(AttributionTask task, List<Tensor> params, int batchSize) {
    int nb = task.layout().numBlocks();
    List<Tensor> flat = new ArrayList<>();
    List<List<Tensor>> gs = new ArrayList<>(), as = new ArrayList<>();
    for (int k = 0; k < nb; k++) {
      gs.add(new ArrayList<>());
      as.add(new ArrayList<>());
    }
    boolean[] rankOne = new boolean[nb];
    java.util.Arrays.fill(rankOne, true);
    for (int[] rows : ranges(task.numQueries(), batchSize)) {
      Batch b = task.queries().batch(rows);
      CapturedPass.run(task.model(), task.layout(), params, b.x(), pass -> {
        List<Tensor> ds = pass.gradients(task.measurement().perExample(pass.output(), b.y()).sum(), false);
        flat.add(pass.flatGradients(ds).cpu());
        for (int k = 0; k < nb; k++) {
          Tensor[] f = pass.rankOneFactors(k, ds);
          if (f == null) rankOne[k] = false;
          else {
            gs.get(k).add(f[0].cpu());
            as.get(k).add(f[1].cpu());
          }
        }
        return null;
      });
    }
    Tensor[][] factors = new Tensor[nb][];
    try (var s = GradMode.off()) {
      for (int k = 0; k < nb; k++) if (rankOne[k]) factors[k] = new Tensor[] {concat(gs.get(k)), concat(as.get(k))};
      return new QueryGradients(concat(flat), factors);
    }
  }

  private static Tensor concat(List<Tensor> parts) {
    return parts.size() == 1 ? parts.get(0) : Ops.concat(0, parts.toArray(new Tensor[0]));
  }

  /** Per-example gradients [N, P] of the training loss for the whole training set (small models and tests only). */
  public static Tensor allTraining(AttributionTask task, List<Tensor> params, int batchSize) {
    return all(task.train(), batchSize, b -> perExample(task.model(), task.layout(), params, b.x(), b.y(), task.loss()::perExample));
  }

  private static Tensor all(Dataset data, int batchSize, java.util.function.Function<Batch, Tensor> f) {
    List<Tensor> parts = new ArrayList<>();
    for (int[] rows : ranges(data.size(), batchSize)) parts.add(f.apply(data.batch(rows)));
    try (var s = GradMode.off()) {
      return concat(parts);
    }
  }

  /**
   * Streams the training set in consecutive batches of {@code batchSize} (the last may be smaller):
   * for each, one captured forward pass at {@code params} and the gradients of Σᵢ Lᵢ.
   */
  public static void forEachTrainingBatch(AttributionTask task, List<Tensor> params, int batchSize, Consumer<TrainingBatch> consumer) {
    for (int[] rows : ranges(task.numTrain(), batchSize)) {
      Batch b = task.train().batch(rows);
      CapturedPass.run(task.model(), task.layout(), params, b.x(), pass -> {
        Tensor total = task.loss().perExample(pass.output(), b.y()).sum();
        consumer.accept(new TrainingBatch(rows[0], rows, pass, pass.gradients(total, false)));
        return null;
      });
    }
  }

  /** Consecutive index ranges [0, n) in chunks of {@code batchSize}. */
  public static List<int[]> ranges(int n, int batchSize) {
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    List<int[]> out = new ArrayList<>();
    for (int start = 0; start < n; start += batchSize) {
      int[] rows = new int[Math.min(batchSize, n - start)];
      for (int i = 0; i < rows.length; i++) rows[i] = start + i;
      out.add(rows);
    }
    return out;
  }
}
