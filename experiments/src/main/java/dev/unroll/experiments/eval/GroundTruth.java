package dev.unroll.experiments.eval;

import com.google.common.hash.Hashing;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.experiments.report.Progress;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Counterfactual ground truth from real retraining, cached on disk: for M subsets (masks over the N
 * training points) and R seeds each, the measurement of every query after training on the subset.
 * The cache folder is named by a hash of the full training configuration and the evaluation
 * parameters, so every method is scored against the same retrains and a changed configuration
 * never reuses stale results. Results are appended line by line as they are produced (flushed and
 * synced), so a killed evaluation resumes without redoing finished retrains; a torn last line is
 * ignored on load.
 */
public final class GroundTruth {
  /** Trains on the points where mask is true with the given seed; returns one measurement per query. */
  @FunctionalInterface
  public interface Retrainer {
    double[] train(boolean[] mask, long seed) throws Exception;
  }

  private final Path dir;
  private final boolean[][] masks;
  private final int seeds;
  private final int queries;
  /** measurements[j][r] = the query measurements of subset j, seed r (null until done). */
  private final double[][][] measurements;

  private GroundTruth(Path dir, boolean[][] masks, int seeds, int queries) {
    this.dir = dir;
    this.masks = masks;
    this.seeds = seeds;
    this.queries = queries;
    this.measurements = new double[masks.length][seeds][];
  }

  /**
   * Opens (or creates) the cache for this configuration under {@code root}, loads finished retrains,
   * runs the missing ones on {@code threads} threads with a progress bar, and returns the complete set.
   *
   * @param configJson the canonical description of the training recipe and data (part of the key)
   * @param seedOf     the seed of retrain r of subset j
   */
  public static GroundTruth compute(Path root, String configJson, boolean[][] masks, int seeds, int queries, int threads,
      java.util.function.LongBinaryOperator seedOf, Retrainer retrainer) throws Exception {
    String key = Hashing.sha256().hashString(configJson + "|M=" + masks.length + "|R=" + seeds + "|Q=" + queries + "|masks=" + maskHash(masks), StandardCharsets.UTF_8).toString().substring(0, 16);
    Path dir = root.resolve(key);
    Files.createDirectories(dir);
    Path manifest = dir.resolve("config.json");
    if (!Files.exists(manifest)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("training", new Gson().fromJson(configJson, Object.class));
      m.put("subsets", masks.length);
      m.put("seeds_per_subset", seeds);
      m.put("queries", queries);
      AtomicFiles.writeString(manifest, new GsonBuilder().setPrettyPrinting().create().toJson(m));
      writeMasks(dir.resolve("masks.txt"), masks);
    }
    GroundTruth gt = new GroundTruth(dir, masks, seeds, queries);
    gt.load();
    gt.fill(threads, seedOf, retrainer);
    return gt;
  }

  private static String maskHash(boolean[][] masks) {
    var h = Hashing.sha256().newHasher();
    for (boolean[] m : masks) for (boolean b : m) h.putBoolean(b);
    return h.hash().toString();
  }

  private static void writeMasks(Path file, boolean[][] masks) {
    StringBuilder b = new StringBuilder();
    for (boolean[] m : masks) {
      for (boolean x : m) b.append(x ? '1' : '0');
      b.append('\n');
    }
    AtomicFiles.writeString(file, b.toString());
  }

  private Path resultsFile() {
    return dir.resolve("results.csv");
  }

  private void load() throws IOException {
    Path f = resultsFile();
    if (!Files.exists(f)) return;
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      String[] p = line.split(",");
      if (p.length != queries + 2) continue; // a line torn by a kill mid-write
      try {
        int j = Integer.parseInt(p[0]), r = Integer.parseInt(p[1]);
        double[] v = new double[queries];
        for (int q = 0; q < queries; q++) v[q] = Double.parseDouble(p[q + 2]);
        if (j < masks.length && r < seeds) measurements[j][r] = v;
      } catch (NumberFormatException e) {
        // torn line: redo that retrain
      }
    }
  }

  /** Number of finished retrains. */
  public int done() {
    int c = 0;
    for (double[][] s : measurements) for (double[] v : s) if (v != null) c++;
    return c;
  }

  private void fill(int threads, java.util.function.LongBinaryOperator seedOf, Retrainer retrainer) throws Exception {
    List<int[]> todo = new ArrayList<>();
    for (int j = 0; j < masks.length; j++) for (int r = 0; r < seeds; r++) if (measurements[j][r] == null) todo.add(new int[] {j, r});
    if (todo.isEmpty()) return;
    int total = masks.length * seeds;
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
      Thread t = new Thread(r, "retrain");
      t.setDaemon(true);
      return t;
    });
    try (Progress bar = new Progress("retraining", total, "runs");
        BufferedWriter out = Files.newBufferedWriter(resultsFile(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      bar.stepTo(total - todo.size());
      List<Future<?>> fs = new ArrayList<>();
      // After a failure the queued retrains are skipped, so the error surfaces at once.
      java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
      for (int[] jr : todo) {
        fs.add(pool.submit(() -> {
          if (failed.get()) return null;
          double[] v;
          try {
            v = retrainer.train(masks[jr[0]], seedOf.applyAsLong(jr[0], jr[1]));
          } catch (Exception | Error e) {
            failed.set(true);
            throw e;
          }
          if (v.length != queries) throw new IllegalStateException("retrain returned " + v.length + " measurements for " + queries + " queries");
          synchronized (out) {
            measurements[jr[0]][jr[1]] = v;
            StringBuilder b = new StringBuilder().append(jr[0]).append(',').append(jr[1]);
            for (double x : v) b.append(',').append(x);
            out.write(b.append('\n').toString());
            out.flush();
          }
          bar.step();
          return null;
        }));
      }
      for (Future<?> f : fs) f.get();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Mean over seeds of each query's measurement, [M][Q]. */
  public double[][] meanMeasurements() {
    double[][] a = new double[masks.length][queries];
    for (int j = 0; j < masks.length; j++) {
      for (int r = 0; r < seeds; r++) for (int q = 0; q < queries; q++) a[j][q] += measurements[j][r][q] / seeds;
    }
    return a;
  }

  /** The query measurements of subset j's retrain with seed index r (a copy), [Q]. */
  public double[] measurements(int j, int r) {
    return measurements[j][r].clone();
  }

  public int seeds() {
    return seeds;
  }

  public boolean[][] masks() {
    return masks;
  }

  public Path directory() {
    return dir;
  }
}
