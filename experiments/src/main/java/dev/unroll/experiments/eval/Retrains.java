package dev.unroll.experiments.eval;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Shared retraining plumbing of the removal evaluations (subset removal, leave-one-out): every
 * removal is retrained with the same R seeds as the full training set (seed r is {@link #SEED_BASE}
 * + r for every mask), so the change of f it causes is measured pairwise and seed noise common to
 * both runs cancels. All retrains go through {@link GroundTruth}, so they are cached by
 * configuration and resumable, and the full-set retrains are shared by every evaluation.
 */
final class Retrains {
  private Retrains() {}

  /** Seed of retrain r of any mask; far from the LDS retrains' seeds (10⁶·(j+1) + r). */
  static final long SEED_BASE = 7_000_000_000L;

  static GroundTruth run(Path root, String configJson, boolean[][] masks, int seeds, int queries, int threads, GroundTruth.Retrainer retrainer) throws Exception {
    return GroundTruth.compute(root, configJson, masks, seeds, queries, threads, (j, r) -> SEED_BASE + r, retrainer);
  }

  /** f of every query after training on all n points, per seed: [R][Q]. */
  static double[][] full(Path root, String configJson, int n, int seeds, int queries, int threads, GroundTruth.Retrainer retrainer) throws Exception {
    boolean[] all = new boolean[n];
    Arrays.fill(all, true);
    GroundTruth gt = run(root, configJson, new boolean[][] {all}, seeds, queries, threads, retrainer);
    double[][] out = new double[seeds][];
    for (int r = 0; r < seeds; r++) out[r] = gt.measurements(0, r);
    return out;
  }

  /** A mask of n points with the given ones removed. */
  static boolean[] without(int n, int[] removed, int count) {
    boolean[] m = new boolean[n];
    Arrays.fill(m, true);
    for (int i = 0; i < count; i++) m[removed[i]] = false;
    return m;
  }
}
