package dev.unroll.tda.curvature;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How curvature is estimated from the training set.
 *
 * @param fisher which output-space second moment ({@link FisherType})
 * @param seed seed of the label sampling ({@link FisherType#SAMPLED}); example i's draws depend only
 *     on (seed, i), so results do not depend on the batch size
 * @param samples label draws per example for {@link FisherType#SAMPLED}
 * @param batchSize examples per forward pass (affects only speed and memory)
 * @param maxExamples use the first min(N, maxExamples) training examples (0: all)
 */
public record FitOptions(FisherType fisher, long seed, int samples, int batchSize, int maxExamples) {
  public FitOptions {
    if (fisher == null) throw new IllegalArgumentException("fit options need a Fisher type");
    if (samples <= 0) throw new IllegalArgumentException("label samples per example must be positive, got " + samples);
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    if (maxExamples < 0) throw new IllegalArgumentException("maxExamples must be ≥ 0 (0 = all), got " + maxExamples);
  }

  /** The literature's default: the true Fisher with one sampled label per example, seed 0, batches of 128, all examples. */
  public static FitOptions defaults() {
    return new FitOptions(FisherType.SAMPLED, 0, 1, 128, 0);
  }

  public static FitOptions of(FisherType fisher) {
    return defaults().withFisher(fisher);
  }

  public FitOptions withFisher(FisherType f) { return new FitOptions(f, seed, samples, batchSize, maxExamples); }

  public FitOptions withSeed(long s) { return new FitOptions(fisher, s, samples, batchSize, maxExamples); }

  public FitOptions withSamples(int k) { return new FitOptions(fisher, seed, k, batchSize, maxExamples); }

  public FitOptions withBatchSize(int b) { return new FitOptions(fisher, seed, samples, b, maxExamples); }

  public FitOptions withMaxExamples(int m) { return new FitOptions(fisher, seed, samples, batchSize, m); }

  /** The number of training examples used out of n. */
  public int examples(int n) {
    return maxExamples == 0 ? n : Math.min(n, maxExamples);
  }

  /** The arguments that determine the fitted values (batch size excluded: it does not). */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fisher", fisher.name().toLowerCase());
    if (fisher == FisherType.SAMPLED) {
      m.put("seed", Long.toString(seed));
      m.put("samples", Integer.toString(samples));
    }
    m.put("max_examples", Integer.toString(maxExamples));
    return m;
  }
}
