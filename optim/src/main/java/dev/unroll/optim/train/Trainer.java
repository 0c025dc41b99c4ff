package dev.unroll.optim.train;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.nn.data.Dataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs training configurations: one ({@link #train}) with optional recording to a run directory
 * and resuming, or many side by side ({@link #trainAll}).
 *
 * <p>A run is a pure function of its configuration, its data and the CPU kernels: the initial
 * parameters come from the seed, each stage's batches from (seed, stage, epoch), and every step is
 * the same {@link Stepper} code. Hence a resumed run ends bit-identical to an uninterrupted one,
 * replay reproduces any step exactly, and parallel runs equal sequential ones.
 *
 * <p>The steps are computed on {@link TrainOptions#resolveDevice()}: the CPU unless a device is
 * given or {@code UNROLL_DEVICE} / {@code -Dunroll.device} asks for one. On an OpenCL device the
 * run agrees with the CPU run within rounding (reductions sum in another order), not bit for bit;
 * step hooks see the model on the device, snapshots and the returned model are on the CPU.
 */
public final class Trainer {
  private Trainer() {}

  /**
   * Trains {@code config} on data from {@code source}.
   *
   * @throws DivergenceException when a step's loss is not finite (naming the step); a recorded run
   *     is marked "diverged" in its manifest
   * @throws IllegalStateException when the directory holds a run and resume is off, or holds a run
   *     of another configuration or other data
   */
  public static TrainResult train(RunConfig config, DataSource source, TrainOptions options) {
    Backend device = TrainOptions.usable(options.resolveDevice(), config.dataType());
    // A CPU backend other than this thread's (e.g. the scalar oracle) is made the thread's for the run.
    if (device.isCpu() && device != Backends.cpu()) return Backends.withCpu(device, () -> train(config, source, options.device(device)));
    List<Dataset> data = resolve(config, source);
    RunRecord record = RunRecord.plan(config, sizes(data));
    Map<Integer, Snapshot> kept = new TreeMap<>();
    RunDirectory dir = null;
    int start = 0;
    Stepper stepper;
    Path where = options.directory();
    if (where != null && RunDirectory.exists(where)) {
      if (!options.resume()) throw new IllegalStateException(where + " already holds a recorded run; pass resume to continue it or choose another directory");
      dir = RunDirectory.open(where);
      if (!dir.config().toJson().equals(config.toJson())) {
        throw new IllegalStateException(where + " holds a run of another configuration (fingerprint " + dir.config().fingerprint() + ", this one " + config.fingerprint() + ")");
      }
      if ("diverged".equals(dir.status())) throw new IllegalStateException(where + " holds a run that diverged: " + dir.message());
      data = dir.stageData(source);
      record = dir.record();
      start = dir.lastCheckpoint();
      stepper = new Stepper(record, data, device);
      stepper.restore(dir.load(start));
      if (options.keep() == Keep.CHECKPOINTS) kept.putAll(dir.loadAll());
      if (options.keep() == Keep.ALL_STEPS) {
        Replayer r = new Replayer(record, data, dir, Replayer.DEFAULT_CACHE_BYTES, device);
        for (int k = 0; k <= start; k++) kept.put(k, r.at(k));
      }
    } else {
      stepper = new Stepper(record, data, device);
      if (where != null) dir = RunDirectory.create(where, record, data, device);
      keep(stepper.snapshot(0), record, options.keep(), dir, kept);
    }
    int total = record.totalSteps();
    int stop = options.stopAfterSteps() > 0 ? Math.min(options.stopAfterSteps(), total) : total;
    try {
      for (int k = start; k < stop; k++) {
        double loss = stepper.step(k);
        record.completeStep(k, loss);
        if (record.isCheckpoint(k + 1) || options.keep() == Keep.ALL_STEPS) keep(stepper.snapshot(k + 1), record, options.keep(), dir, kept);
        if (options.hook() != null) options.hook().afterStep(k, loss, stepper.model());
      }
      if (record.isComplete()) stepper.checkFinite(total);
    } catch (DivergenceException e) {
      if (dir != null) dir.markDiverged(e.getMessage());
      throw e;
    }
    if (record.isComplete() && dir != null && !"complete".equals(dir.status())) dir.markComplete();
    // The edge of the device: results (final model, evaluation) are CPU tensors.
    if (!device.isCpu()) stepper.model().to(Backends.cpu());
    double[] measured = options.evaluation() == null ? null : options.evaluation().evaluate(stepper.model(), config);
    return new TrainResult(record, stepper.model(), data, kept, measured, where, device);
  }

  private static void keep(Snapshot s, RunRecord record, Keep keep, RunDirectory dir, Map<Integer, Snapshot> kept) {
    boolean ckpt = record.isCheckpoint(s.step());
    if (dir != null && ckpt) dir.writeCheckpoint(s, record);
    if (keep == Keep.ALL_STEPS || (keep == Keep.CHECKPOINTS && ckpt)) kept.put(s.step(), s);
  }

  /**
   * Trains every configuration, on up to {@code threads} threads at once, one run per thread with
   * single-threaded kernels, each on the current thread's CPU backend. Results are in the order of
   * {@code configs} and identical to training them one after another. With a directory in
   * {@code options}, run i is recorded in its sub-directory "run-NNNN" (i zero-padded).
   *
   * @throws RuntimeException naming the index of the first run that failed, after all have ended
   */
  public static List<TrainResult> trainAll(List<RunConfig> configs, DataSource source, TrainOptions options, int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
    Backend cpu = Backends.cpu();
    TrainOptions on = options.device(options.resolveDevice());
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, Math.max(1, configs.size())), r -> {
      Thread t = new Thread(r, "unroll-train");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<TrainResult>> futures = new ArrayList<>();
      for (int i = 0; i < configs.size(); i++) {
        RunConfig c = configs.get(i);
        TrainOptions o = on.directory() == null ? on : on.directory(on.directory().resolve(String.format("run-%04d", i)));
        futures.add(pool.submit(() -> KernelThreads.single(() -> Backends.withCpu(cpu, () -> train(c, source, o)))));
      }
      List<TrainResult> out = new ArrayList<>();
      RuntimeException failure = null;
      for (int i = 0; i < futures.size(); i++) {
        try {
          out.add(futures.get(i).get());
        } catch (ExecutionException e) {
          if (failure == null) failure = new RuntimeException("run " + i + " of " + configs.size() + " failed: " + e.getCause().getMessage(), e.getCause());
          out.add(null);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for run " + i, e);
        }
      }
      if (failure != null) throw failure;
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@link #trainAll(List, DataSource, TrainOptions, int)} on as many threads as there are processors. */
  public static List<TrainResult> trainAll(List<RunConfig> configs, DataSource source, TrainOptions options) {
    return trainAll(configs, source, options, Runtime.getRuntime().availableProcessors());
  }

  /** The stage data of {@code config}: each stage's data spec resolved and converted to the run's dtype. */
  public static List<Dataset> resolve(RunConfig config, DataSource source) {
    List<Dataset> out = new ArrayList<>();
    for (StageSpec s : config.stages()) out.add(s.data().resolve(source).to(config.dataType()));
    return out;
  }

  private static int[] sizes(List<Dataset> data) {
    int[] n = new int[data.size()];
    for (int i = 0; i < n.length; i++) n[i] = data.get(i).size();
    return n;
  }
}
