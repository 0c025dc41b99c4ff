package dev.unroll.optim.train;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/** Stored snapshots of a run, by step: in memory, or the checkpoint files of a {@link RunDirectory}. */
public interface SnapshotStore {
  /** The steps with a stored snapshot, increasing. */
  int[] steps();

  /** The snapshot of {@code step}; an error when none is stored. */
  Snapshot load(int step);

  default boolean has(int step) {
    return Arrays.binarySearch(steps(), step) >= 0;
  }

  /** The latest stored step ≤ k, or −1. */
  default int latestAtOrBefore(int k) {
    int[] s = steps();
    int i = Arrays.binarySearch(s, k);
    return i >= 0 ? s[i] : (-i - 2 >= 0 ? s[-i - 2] : -1);
  }

  /** A store over snapshots held in memory. */
  static SnapshotStore of(Map<Integer, Snapshot> snapshots) {
    TreeMap<Integer, Snapshot> m = new TreeMap<>(snapshots);
    int[] steps = m.keySet().stream().mapToInt(Integer::intValue).toArray();
    return new SnapshotStore() {
      @Override
      public int[] steps() {
        return steps.clone();
      }

      @Override
      public boolean has(int step) {
        return m.containsKey(step);
      }

      @Override
      public Snapshot load(int step) {
        Snapshot s = m.get(step);
        if (s == null) throw new IllegalArgumentException("no snapshot of step " + step + " in memory; stored: " + m.keySet());
        return s;
      }
    };
  }
}
