package dev.unroll.optim.train;

import dev.unroll.nn.data.Dataset;
import java.util.Arrays;
import java.util.Objects;

/**
 * Which examples a stage trains on: the data set called {@code dataset} (resolved by a
 * {@link DataSource}) and optionally the rows {@code indices} of it, in that order (a subset view;
 * null means all rows in order). Batch indices, per-example weights and attribution scores of the
 * stage all refer to positions in the resolved subset: position i is row indices[i] of the named set.
 *
 * <p>The counterfactual evaluation retrains on hundreds of subsets, so a subset is given by its
 * indices alone and the data itself is never copied into the configuration.
 */
public record DataSpec(String dataset, int[] indices) {
  public DataSpec {
    if (dataset == null || dataset.isBlank()) throw new IllegalArgumentException("data spec needs a data set name");
    if (indices != null) {
      indices = indices.clone();
      for (int j = 0; j < indices.length; j++) {
        if (indices[j] < 0) throw new IllegalArgumentException("data spec '" + dataset + "': index " + indices[j] + " at position " + j + " is negative");
      }
    }
  }

  /** Every row of the named set. */
  public static DataSpec all(String dataset) {
    return new DataSpec(dataset, null);
  }

  /** Rows {@code indices} of the named set, in that order. */
  public static DataSpec subset(String dataset, int[] indices) {
    return new DataSpec(dataset, indices);
  }

  /** The rows i of the named set with mask[i] true, in increasing order. */
  public static DataSpec mask(String dataset, boolean[] mask) {
    int n = 0;
    for (boolean b : mask) if (b) n++;
    int[] idx = new int[n];
    for (int i = 0, k = 0; i < mask.length; i++) if (mask[i]) idx[k++] = i;
    return new DataSpec(dataset, idx);
  }

  @Override
  public int[] indices() {
    return indices == null ? null : indices.clone();
  }

  /** The stage's examples: the named set from {@code source}, restricted to {@link #indices()} when given. */
  public Dataset resolve(DataSource source) {
    Dataset d = source.get(dataset);
    if (d == null) throw new IllegalArgumentException("data source has no data set '" + dataset + "'");
    if (indices == null) return d;
    for (int j = 0; j < indices.length; j++) {
      if (indices[j] >= d.size()) {
        throw new IllegalArgumentException("data spec '" + dataset + "': index " + indices[j] + " at position " + j + " is outside the data set's " + d.size() + " rows");
      }
    }
    return d.subset(indices);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataSpec s && dataset.equals(s.dataset) && Arrays.equals(indices, s.indices);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dataset, Arrays.hashCode(indices));
  }

  @Override
  public String toString() {
    return indices == null ? dataset : dataset + "[" + indices.length + " rows]";
  }
}
