package dev.unroll.nn.data;

import dev.unroll.autodiff.Rng;
import dev.unroll.nn.Targets;
import java.util.Arrays;

/** Seeded label randomisation (the construction behind FashionMNIST-N). */
public final class LabelNoise {
  private LabelNoise() {}

  /**
   * Replaces the labels of m = round(fraction · N) examples (half up). With r = new Rng(seed): the
   * examples are the first m entries of r.permutation(N); then, in ascending index order, each
   * gets a label drawn uniformly from the K − 1 classes other than its own, as
   * (old + 1 + r.nextInt(K − 1)) mod K. So exactly m labels are wrong afterwards. The result has
   * the same examples and indices as {@code d}, named {@code d.name() + "-N"}.
   */
  public static NoisyLabels randomize(Dataset d, double fraction, long seed) {
    if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("label-noise fraction " + fraction + " is outside [0, 1]");
    int k = d.numClasses();
    if (k < 2) throw new IllegalArgumentException("data set '" + d.name() + "' has " + k + " class(es): no other label to draw");
    int n = d.size();
    int m = (int) Math.round(fraction * n);
    Rng r = new Rng(seed);
    int[] chosen = Arrays.copyOf(r.permutation(n), m);
    Arrays.sort(chosen);
    int[] clean = d.labels();
    int[] noisy = clean.clone();
    for (int i : chosen) noisy[i] = (clean[i] + 1 + r.nextInt(k - 1)) % k;
    Dataset out = d.withTargets(new Targets.Classes(noisy, k)).withName(d.name() + "-N");
    return new NoisyLabels(out, chosen, clean);
  }
}
