package dev.unroll.nn.data;

import dev.unroll.autodiff.Rng;
import java.util.Arrays;

/**
 * Seeded selections of examples, all returned as {@link Dataset#subset} views whose indices are
 * sorted ascending (so a selection reads like the file; batch order is shuffled later anyway).
 * Every selection draws one permutation π of 0..N-1 from {@code new Rng(seed)} and takes
 * consecutive runs of it.
 */
public final class Splits {
  private Splits() {}

  /** Disjoint train (π[0, nTrain)) and test (π[nTrain, nTrain+nTest)) subsets; nTrain + nTest ≤ N. */
  public static TrainTest split(Dataset d, int nTrain, int nTest, long seed) {
    if (nTrain < 0 || nTest < 0 || (long) nTrain + nTest > d.size()) {
      throw new IllegalArgumentException("split of data set '" + d.name() + "' (" + d.size() + " examples) into " + nTrain + " train and " + nTest + " test examples");
    }
    int[] p = new Rng(seed).permutation(d.size());
    return new TrainTest(d.subset(sorted(p, 0, nTrain)), d.subset(sorted(p, nTrain, nTrain + nTest)));
  }

  /** All examples split with round(testFraction · N) (half up) in the test part and the rest in train. */
  public static TrainTest splitFraction(Dataset d, double testFraction, long seed) {
    if (!(testFraction >= 0 && testFraction <= 1)) throw new IllegalArgumentException("test fraction " + testFraction + " is outside [0, 1]");
    int nTest = (int) Math.round(testFraction * d.size());
    return split(d, d.size() - nTest, nTest, seed);
  }

  /** The first n examples (0..n-1). */
  public static Dataset first(Dataset d, int n) {
    if (n < 0 || n > d.size()) throw new IllegalArgumentException("first " + n + " of data set '" + d.name() + "' with " + d.size() + " examples");
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    return d.subset(idx);
  }

  /** n examples drawn without replacement (π[0, n), sorted). */
  public static Dataset sample(Dataset d, int n, long seed) {
    if (n < 0 || n > d.size()) throw new IllegalArgumentException("sample of " + n + " from data set '" + d.name() + "' with " + d.size() + " examples");
    return d.subset(sorted(new Rng(seed).permutation(d.size()), 0, n));
  }

  private static int[] sorted(int[] p, int from, int to) {
    int[] r = Arrays.copyOfRange(p, from, to);
    Arrays.sort(r);
    return r;
  }
}
