package dev.unroll.optim.train;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of {@link Trainer#train}: the trained model (θ_T, or the parameters where a run was
 * stopped early), the run's record, the snapshots kept in memory, the evaluation, and where the
 * run was recorded (if it was).
 */
public final class TrainResult {
  private final RunRecord record;
  private final Module model;
  private final List<Dataset> stageData;
  private final Map<Integer, Snapshot> snapshots;
  private final double[] measurements;
  private final Path directory;
  private final Backend device;

  TrainResult(RunRecord record, Module model, List<Dataset> stageData, Map<Integer, Snapshot> snapshots, double[] measurements, Path directory) {
    this(record, model, stageData, snapshots, measurements, directory, Backends.cpu());
  }

  TrainResult(RunRecord record, Module model, List<Dataset> stageData, Map<Integer, Snapshot> snapshots, double[] measurements, Path directory, Backend device) {
    this.device = device;
    this.record = record;
    this.model = model;
    this.stageData = List.copyOf(stageData);
    this.snapshots = Collections.unmodifiableMap(new TreeMap<>(snapshots));
    this.measurements = measurements;
    this.directory = directory;
  }

  /** The backend the steps were computed on. */
  public Backend device() {
    return device;
  }

  public RunConfig config() {
    return record.config();
  }

  public RunRecord record() {
    return record;
  }

  /** The model holding the final parameters. */
  public Module model() {
    return model;
  }

  /** Detached copies of the final parameters by name. */
  public Map<String, Tensor> finalParameters() {
    return model.stateDict();
  }

  /** Whether all T steps ran. */
  public boolean isComplete() {
    return record.isComplete();
  }

  /** The stage data as trained on (subset applied, run dtype). */
  public List<Dataset> stageData() {
    return stageData;
  }

  /** Snapshots kept in memory by step ({@link Keep}); empty for {@link Keep#FINAL}. */
  public Map<Integer, Snapshot> snapshots() {
    return snapshots;
  }

  /** The {@link Evaluation}'s result, or null when none was given. */
  public double[] measurements() {
    return measurements == null ? null : measurements.clone();
  }

  /** The run directory, or null for an in-memory run. */
  public Path directory() {
    return directory;
  }

  /**
   * The run's trajectory: from the snapshots in memory when they include step 0 (all steps with
   * {@link Keep#ALL_STEPS}, else replayed between checkpoints), otherwise from the run directory.
   * Replay computes on the backend the run trained on, so replayed steps equal the run's bit for bit.
   */
  public Trajectory trajectory() {
    if (snapshots.containsKey(0)) return new Replayer(record, stageData, SnapshotStore.of(snapshots), Replayer.DEFAULT_CACHE_BYTES, device);
    if (directory != null) return new Replayer(record, stageData, RunDirectory.open(directory), Replayer.DEFAULT_CACHE_BYTES, device);
    throw new IllegalStateException("this run kept no snapshots (Keep.FINAL) and was not recorded to a directory: there is no trajectory to replay");
  }
}
