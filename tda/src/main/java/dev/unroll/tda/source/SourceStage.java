package dev.unroll.tda.source;

import dev.unroll.nn.data.Dataset;
import java.util.Arrays;

/**
 * One training stage as SOURCE sees it: the data the stage trained on (its curvature is fitted on
 * this data, and only these examples contribute within the stage's segments), where each of its
 * examples sits among the scored training examples, and the optimizer's dynamics.
 *
 * @param name the stage's name
 * @param data the stage's training examples, in the order its batch indices refer to
 * @param columns columns[i] = the score column (index into the attribution task's training set) of
 *     example i of {@code data}; distinct
 * @param dynamics how the stage's optimizer steps
 */
public record SourceStage(String name, Dataset data, int[] columns, StageDynamics dynamics) {
  public SourceStage {
    if (data == null || dynamics == null) throw new IllegalArgumentException("stage '" + name + "' needs data and dynamics");
    if (columns.length != data.size()) throw new IllegalArgumentException("stage '" + name + "': " + columns.length + " score columns for " + data.size() + " examples");
    columns = columns.clone();
    int[] sorted = columns.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] < 0) throw new IllegalArgumentException("stage '" + name + "': negative score column " + sorted[i]);
      if (i > 0 && sorted[i] == sorted[i - 1]) throw new IllegalArgumentException("stage '" + name + "': score column " + sorted[i] + " is given to two examples");
    }
  }

  @Override
  public int[] columns() {
    return columns.clone();
  }

  /** Column of example i (no copy). */
  public int column(int i) {
    return columns[i];
  }

  /** N_s, the number of examples of the stage. */
  public int size() {
    return columns.length;
  }

  /** inverse[col] = the stage example scored in column col, or −1 (for columns 0..n−1). */
  public int[] rowsOfColumns(int n) {
    int[] inv = new int[n];
    Arrays.fill(inv, -1);
    for (int i = 0; i < columns.length; i++) {
      if (columns[i] >= n) throw new IllegalArgumentException("stage '" + name + "': score column " + columns[i] + " outside the " + n + " training examples");
      inv[columns[i]] = i;
    }
    return inv;
  }

  /** The identity columns 0..n−1. */
  public static int[] identity(int n) {
    int[] c = new int[n];
    for (int i = 0; i < n; i++) c[i] = i;
    return c;
  }
}
