package dev.unroll.tda.grad;

import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.nn.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scoring by streaming: score[q][n] = ⟨u_q, ∇L(z_n, θ)⟩ for fixed vectors u_q [Q, P] (preconditioned
 * query gradients, block order) against the per-example training gradients at θ, one training
 * batch at a time (one GEMM [Q, P]·[P, B] per batch). The GEMM runs in the dtype of the model's
 * parameters; the vectors are converted to it once.
 */
public final class GradientDots {
  private GradientDots() {}

  /**
   * Training examples whose parts are gathered, batch after batch, before one product scores them
   * ({@link #accumulateOverPasses}). The eigenbasis product ({@code OuterSumDots}) streams all the
   * queries' matrices (Q·Σ out·in values, 14 MB on Concrete) once per call and thread, so wider
   * calls reuse them over more columns; the batches still pass through the model one at a time
   * (their activations bound memory, the gathered factors are B·(in + out) per block), and every
   * score is the same sum in the same order either way.
   */
  static final int GATHERED_EXAMPLES = 1024;

  /** score[q][n] = ⟨u_q, ∇L(z_n, θ)⟩ for every query row q of {@code u} [Q, P] and training example n. */
  public static double[][] pairwise(AttributionTask task, List<Tensor> params, Tensor u, int batchSize) {
    double[][] out = new double[u.dim(0)][task.numTrain()];
    accumulate(task, params, u, batchSize, 1.0, out);
    return out;
  }

  /**
   * into[q][n] += weight·⟨u_q, ∇L(z_n, θ)⟩: the building block of sums over checkpoints (TracIn,
   * SOURCE).
   */
  public static void accumulate(AttributionTask task, List<Tensor> params, Tensor u, int batchSize, double weight, double[][] into) {
    check(task, u, into);
    accumulate(task, params, u, batchSize, weight, into, null);
  }

  /**
   * into[q][column[n]] += weight·⟨u_q, ∇L(z_n, θ)⟩ for the task's training examples n: scores of a
   * sub-task (e.g. one stage of multi-stage training, whose training set is a subset) added into the
   * columns of the full training set ({@code column} = the subset's parent indices; null = identity).
   */
  public static void accumulate(AttributionTask task, List<Tensor> params, Tensor u, int batchSize, double weight, double[][] into, int[] column) {
    if (u.rank() != 2 || u.dim(1) != task.layout().size()) {
      throw new IllegalArgumentException("query vectors of shape " + Arrays.toString(u.shape()) + ", expected [Q, " + task.layout().size() + "] (block order)");
    }
    accumulate(task, params, plain(split(task.layout(), u, params.get(0).dtype())), batchSize, weight, into, column);
  }

  /**
   * into[q][column[n]] += weight·Σ_b ⟨u_q,b, ∇_b L(z_n, θ)⟩ with the query side given block by block
   * ({@link BlockQueries}: as vectors, or in a Kronecker eigenbasis); column null = identity.
   */
  public static void accumulate(AttributionTask task, List<Tensor> params, BlockQueries[] blocks, int batchSize, double weight, double[][] into, int[] column) {
    accumulateOverPasses(task, List.of(params), blocks, batchSize, weight, into, column);
  }

  /**
   * into[q][column[n]] += weight·Σ_c Σ_b ⟨u_q,b, ∇_b L(z_n, θ_c)⟩ over several parameter values θ_c
   * (SOURCE's checkpoints of one segment): each training batch is passed through the model at every
   * θ_c, and its blocks are scored against the passes together ({@link BlockQueries#dots(List)}:
   * for eigenbasis queries one product for all of them). Consecutive batches' parts are gathered up
   * to {@link #GATHERED_EXAMPLES} examples and scored together. Column null = identity.
   */
  public static void accumulateOverPasses(AttributionTask task, List<List<Tensor>> paramSets, BlockQueries[] blocks, int batchSize, double weight, double[][] into, int[] column) {
    if (paramSets.isEmpty()) throw new IllegalArgumentException("no parameter values to score at");
    if (blocks.length != task.layout().numBlocks()) throw new IllegalArgumentException(blocks.length + " query blocks for a model of " + task.layout().numBlocks() + " gradient blocks");
    for (BlockQueries b : blocks) {
      if (b.rows() != into.length) throw new IllegalArgumentException("score matrix of " + into.length + " rows for " + b.rows() + " query vectors");
    }
    if (column != null && column.length != task.numTrain()) throw new IllegalArgumentException("column map of " + column.length + " entries for " + task.numTrain() + " training examples");
    List<int[]> ranges = Gradients.ranges(task.numTrain(), batchSize);
    int perGroup = Math.max(1, GATHERED_EXAMPLES / batchSize), passes = paramSets.size();
    for (int g0 = 0; g0 < ranges.size(); g0 += perGroup) {
      List<int[]> group = ranges.subList(g0, Math.min(ranges.size(), g0 + perGroup));
      // parts.get(k).get(c): block k's parts from the passes at θ_c, one per batch of the group.
      List<List<List<BlockQueries.Part>>> parts = new ArrayList<>();
      for (int k = 0; k < blocks.length; k++) {
        List<List<BlockQueries.Part>> perPass = new ArrayList<>(passes);
        for (int c = 0; c < passes; c++) perPass.add(new ArrayList<>(group.size()));
        parts.add(perPass);
      }
      for (int[] rows : group) {
        Batch batch = task.train().batch(rows);
        for (int c = 0; c < passes; c++) {
          int pc = c;
          CapturedPass.run(task.model(), task.layout(), paramSets.get(c), batch.x(), pass -> {
            List<Tensor> ds = pass.gradients(task.loss().perExample(pass.output(), batch.y()).sum(), false);
            for (int k = 0; k < blocks.length; k++) parts.get(k).get(pc).add(blocks[k].part(pass, k, ds));
            return null;
          });
        }
      }
      Tensor total = null;
      for (int k = 0; k < blocks.length; k++) {
        List<BlockQueries.Part> merged = new ArrayList<>(passes);
        for (List<BlockQueries.Part> ofPass : parts.get(k)) merged.add(BlockQueries.Part.concat(ofPass));
        Tensor d = blocks[k].dots(merged);
        try (var s = GradMode.off()) {
          total = total == null ? d : total.add(d);
        }
      }
      double[] d = total.toDoubleArray();
      int n = total.dim(1), col = 0;
      for (int[] rows : group) {
        for (int q = 0; q < into.length; q++) {
          for (int i = 0; i < rows.length; i++) into[q][column == null ? rows[i] : column[rows[i]]] += weight * d[q * n + col + i];
        }
        col += rows.length;
      }
    }
  }

  /** The rows of u [Q, P] (block order) as query blocks in {@code dtype}, scored as they are. */
  public static BlockQueries[] blocks(GradientLayout layout, Tensor u, dev.unroll.autodiff.DType dtype) {
    return plain(split(layout, u, dtype));
  }

  private static BlockQueries[] plain(Tensor[] ub) {
    BlockQueries[] out = new BlockQueries[ub.length];
    for (int k = 0; k < ub.length; k++) out[k] = new BlockQueries.Plain(ub[k]);
    return out;
  }

  /**
   * score[q][n] = ⟨u_q, ∇L(z_n, θ)⟩ / ‖∇L(z_n, θ)‖ (0 for a zero gradient): with unit rows u_q, the
   * gradient cosine. The norms come from {@link CapturedPass#squaredNorms} (‖g‖·‖ā‖ for rank-one
   * blocks), so no per-example gradient of a Linear layer is formed.
   */
  public static double[][] pairwiseOverNorms(AttributionTask task, List<Tensor> params, Tensor u, int batchSize) {
    double[][] out = new double[u.dim(0)][task.numTrain()];
    check(task, u, out);
    stream(task, params, plain(split(task.layout(), u, params.get(0).dtype())), batchSize, (b, d) -> {
      int n = b.size();
      double[] norm2 = b.squaredNorms();
      for (int i = 0; i < n; i++) {
        double inv = norm2[i] > 0 ? 1 / Math.sqrt(norm2[i]) : 0;
        for (int q = 0; q < out.length; q++) out[q][b.start() + i] = d[q * n + i] * inv;
      }
    });
    return out;
  }

  private interface BatchScores {
    /** d[q·B + i] = ⟨u_q, ∇L(z_{start+i})⟩ for the batch. */
    void accept(Gradients.TrainingBatch batch, double[] d);
  }

  /** ⟨u_q, ∇L(z_n)⟩ for every training batch, block by block ({@link BlockQueries#dots}), handed to {@code body}. */
  private static void stream(AttributionTask task, List<Tensor> params, BlockQueries[] ub, int batchSize, BatchScores body) {
    Gradients.forEachTrainingBatch(task, params, batchSize, b -> {
      Tensor total = null;
      for (int k = 0; k < ub.length; k++) {
        Tensor d = ub[k].dots(b.pass(), k, b.outputGradients());
        try (var s = GradMode.off()) {
          total = total == null ? d : total.add(d);
        }
      }
      body.accept(b, total.toDoubleArray());
    });
  }

  /** The rows of u [Q, P] split into blocks [Q, out, in], converted to {@code dtype}. */
  static Tensor[] split(GradientLayout layout, Tensor u, dev.unroll.autodiff.DType dtype) {
    Tensor uu = u.detach().to(dtype);
    Tensor[] out = new Tensor[layout.numBlocks()];
    for (int k = 0; k < out.length; k++) out[k] = layout.blockOf(uu, k);
    return out;
  }

  /**
   * Per-block scores: out[b][q][n] = ⟨u_q restricted to block b, ∇L(z_n) restricted to block b⟩;
   * summed over b they give {@link #pairwise}.
   */
  public static double[][][] pairwisePerBlock(AttributionTask task, List<Tensor> params, Tensor u, int batchSize) {
    GradientLayout layout = task.layout();
    double[][][] out = new double[layout.numBlocks()][u.dim(0)][task.numTrain()];
    check(task, u, out[0]);
    BlockQueries[] ub = blocks(layout, u, params.get(0).dtype());
    Gradients.forEachTrainingBatch(task, params, batchSize, b -> {
      int n = b.size();
      for (int k = 0; k < ub.length; k++) {
        double[] d = ub[k].dots(b.pass(), k, b.outputGradients()).toDoubleArray();
        for (int q = 0; q < ub[k].rows(); q++) System.arraycopy(d, q * n, out[k][q], b.start(), n);
      }
    });
    return out;
  }

  /** ⟨a_i, b_j⟩ for a [Q, P] and b [B, P] of one dtype, as double[Q][B] (one GEMM). */
  public static double[][] dots(Tensor a, Tensor b) {
    try (var s = GradMode.off()) {
      Tensor c = a.matmul(b.t());
      double[] flat = c.toDoubleArray();
      int q = a.dim(0), n = b.dim(0);
      double[][] out = new double[q][];
      for (int i = 0; i < q; i++) out[i] = Arrays.copyOfRange(flat, i * n, (i + 1) * n);
      return out;
    }
  }

  /** ⟨a_i, b_i⟩ row by row for a, b [B, P]. */
  public static double[] rowDots(Tensor a, Tensor b) {
    if (!Arrays.equals(a.shape(), b.shape())) throw new IllegalArgumentException("rowDots: shapes " + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
    try (var s = GradMode.off()) {
      Tensor bb = b.to(a.dtype());
      return a.mul(bb).sum(1).toDoubleArray();
    }
  }

  private static void check(AttributionTask task, Tensor u, double[][] into) {
    if (u.rank() != 2 || u.dim(1) != task.layout().size()) {
      throw new IllegalArgumentException("query vectors of shape " + Arrays.toString(u.shape()) + ", expected [Q, " + task.layout().size() + "] (block order)");
    }
    if (into.length != u.dim(0) || (into.length > 0 && into[0].length != task.numTrain())) {
      throw new IllegalArgumentException("score matrix of " + into.length + " rows for " + u.dim(0) + " query vectors and " + task.numTrain() + " training examples");
    }
  }
}
