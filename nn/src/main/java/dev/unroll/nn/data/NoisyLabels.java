package dev.unroll.nn.data;

import java.util.Arrays;

/**
 * A classification set some of whose labels were replaced, with the record of which: the ground
 * truth for scoring mislabeled-example detection.
 *
 * @param data the set with the replaced labels
 * @param corrupted indices (in {@code data}) whose label was replaced, ascending
 * @param cleanLabels every example's label before replacement
 */
public record NoisyLabels(Dataset data, int[] corrupted, int[] cleanLabels) {
  public NoisyLabels {
    corrupted = corrupted.clone();
    cleanLabels = cleanLabels.clone();
  }

  @Override
  public int[] corrupted() {
    return corrupted.clone();
  }

  @Override
  public int[] cleanLabels() {
    return cleanLabels.clone();
  }

  /** Whether example i's label was replaced. */
  public boolean isCorrupted(int i) {
    return Arrays.binarySearch(corrupted, i) >= 0;
  }

  /** mask[i] = example i's label was replaced. */
  public boolean[] mask() {
    boolean[] m = new boolean[data.size()];
    for (int i : corrupted) m[i] = true;
    return m;
  }
}
