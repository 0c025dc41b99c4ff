package dev.unroll.tda.methods;

/**
 * How scores are computed (never what they are: the values do not depend on these, up to rounding).
 *
 * @param trainBatchSize training examples per forward/backward pass and per scoring GEMM
 * @param queryBatchSize queries per gradient pass
 * @param queryChunk queries preconditioned and scored together (0: all at once); smaller chunks
 *     bound memory at the cost of one sweep over the training set per chunk
 */
public record ScoreOptions(int trainBatchSize, int queryBatchSize, int queryChunk) {
  public ScoreOptions {
    if (trainBatchSize <= 0 || queryBatchSize <= 0 || queryChunk < 0) {
      throw new IllegalArgumentException("score options need positive batch sizes and a chunk ≥ 0, got train " + trainBatchSize + ", query " + queryBatchSize + ", chunk " + queryChunk);
    }
  }

  public static ScoreOptions defaults() {
    return new ScoreOptions(128, 128, 0);
  }

  public ScoreOptions withTrainBatchSize(int b) { return new ScoreOptions(b, queryBatchSize, queryChunk); }

  public ScoreOptions withQueryBatchSize(int b) { return new ScoreOptions(trainBatchSize, b, queryChunk); }

  public ScoreOptions withQueryChunk(int c) { return new ScoreOptions(trainBatchSize, queryBatchSize, c); }
}
