package dev.unroll.nn.data;

import dev.unroll.autodiff.Rng;
import dev.unroll.nn.Batch;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Seeded mini-batch schedules over a data set of n examples. Epoch e visits the examples in the
 * order of a permutation drawn from a stream seeded by {@link #epochSeed(long, int)}, a function
 * of (seed, e) alone, so any epoch can be regenerated without replaying the ones before it (what
 * a recorded training run relies on). Consecutive runs of {@code batchSize} indices of that
 * permutation form the batches; with drop-last, a final short batch is left out (its examples
 * are not visited in that epoch), otherwise it is kept.
 */
public final class Batches {
  private final int n;
  private final int batchSize;
  private final long seed;
  private final boolean dropLast;
  private final boolean shuffle;

  private Batches(int n, int batchSize, long seed, boolean dropLast, boolean shuffle) {
    if (n < 0) throw new IllegalArgumentException("batches over " + n + " examples");
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    if (dropLast && n < batchSize) throw new IllegalArgumentException("drop-last with batch size " + batchSize + " over " + n + " examples leaves no batch");
    this.n = n;
    this.batchSize = batchSize;
    this.seed = seed;
    this.dropLast = dropLast;
    this.shuffle = shuffle;
  }

  /** Shuffled batches: each epoch a fresh permutation derived from (seed, epoch). */
  public static Batches shuffled(int n, int batchSize, long seed, boolean dropLast) {
    return new Batches(n, batchSize, seed, dropLast, true);
  }

  /** Batches in index order 0..n-1 every epoch (for evaluation and full-batch work). */
  public static Batches sequential(int n, int batchSize) {
    return new Batches(n, batchSize, 0, false, false);
  }

  /**
   * The seed of epoch {@code epoch}'s permutation: mix(mix(seed) + epoch) with the 64-bit
   * finaliser of SplitMix64 (Stafford's variant 13), so neighbouring epochs and neighbouring
   * seeds give unrelated streams.
   */
  public static long epochSeed(long seed, int epoch) {
    return mix(mix(seed) + epoch);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** The order in which epoch {@code epoch} visits the examples (all n of them, before dropping). */
  public int[] permutation(int epoch) {
    if (epoch < 0) throw new IllegalArgumentException("epoch " + epoch + " is negative");
    if (!shuffle) {
      int[] p = new int[n];
      for (int i = 0; i < n; i++) p[i] = i;
      return p;
    }
    return new Rng(epochSeed(seed, epoch)).permutation(n);
  }

  /** Batches per epoch: ⌊n/b⌋ with drop-last, ⌈n/b⌉ without. */
  public int batchesPerEpoch() {
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  public int size() {
    return n;
  }

  public int batchSize() {
    return batchSize;
  }

  /** The index sets of epoch {@code epoch}'s batches, in order. */
  public int[][] epochOrder(int epoch) {
    int[] p = permutation(epoch);
    int[][] out = new int[batchesPerEpoch()][];
    for (int b = 0; b < out.length; b++) {
      int from = b * batchSize, to = Math.min(n, from + batchSize);
      out[b] = java.util.Arrays.copyOfRange(p, from, to);
    }
    return out;
  }

  /** {@link #epochOrder(int)} of {@code shuffled(n, batchSize, seed, dropLast)}. */
  public static int[][] epochOrder(int n, int batchSize, long seed, int epoch, boolean dropLast) {
    return shuffled(n, batchSize, seed, dropLast).epochOrder(epoch);
  }

  /** Epoch {@code epoch}'s batches of {@code data}, each gathered when the iterator reaches it. */
  public Iterable<Batch> epoch(Dataset data, int epoch) {
    if (data.size() != n) throw new IllegalArgumentException("batches over " + n + " examples applied to data set '" + data.name() + "' of " + data.size());
    int[][] order = epochOrder(epoch);
    return () -> new Iterator<>() {
      int next;

      @Override
      public boolean hasNext() {
        return next < order.length;
      }

      @Override
      public Batch next() {
        if (next >= order.length) throw new NoSuchElementException();
        return data.batch(order[next++]);
      }
    };
  }
}
