package dev.unroll.optim.train;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Trajectory} over stored snapshots that recomputes the others by replaying the recorded
 * steps ({@link Stepper}, the same code that trained) from the nearest earlier stored or cached
 * state.
 *
 * <p>Cache: the states of the last replayed window [k − M + 1, k] are kept (M from the cache
 * budget), so a backward sweep k = T, T − 1, …, 0 replays each window once; while replaying a
 * stretch longer than M, every M-th state is kept as an extra anchor. A full backward sweep thus
 * costs about two forward passes of training, with memory for about M + T/M states.
 */
public final class Replayer implements Trajectory {
  /** Default cache budget for replayed states. */
  public static final long DEFAULT_CACHE_BYTES = 512L << 20;

  private final RunRecord record;
  private final List<Dataset> data;
  private final SnapshotStore store;
  private final long cacheBytes;
  private final Backend device;
  private final TreeMap<Integer, Snapshot> window = new TreeMap<>();
  private final TreeMap<Integer, Snapshot> anchors = new TreeMap<>();
  private Stepper stepper;
  private int windowSize;
  private int replayed;

  public Replayer(RunRecord record, List<Dataset> stageData, SnapshotStore store, long cacheBytes) {
    this(record, stageData, store, cacheBytes, Backends.cpu());
  }

  /**
   * A replayer whose steps compute on {@code device} (that of the recorded run, for bit-identical
   * replay of a run trained on an OpenCL device); snapshots are CPU tensors either way.
   */
  public Replayer(RunRecord record, List<Dataset> stageData, SnapshotStore store, long cacheBytes, Backend device) {
    if (stageData.size() != record.numStages()) throw new IllegalArgumentException(record.numStages() + " stages but data for " + stageData.size());
    for (int s = 0; s < stageData.size(); s++) {
      if (stageData.get(s).size() != record.dataSize(s)) {
        throw new IllegalArgumentException("stage " + s + " data '" + stageData.get(s).name() + "' has " + stageData.get(s).size() + " examples, the run trained on " + record.dataSize(s));
      }
    }
    if (store.latestAtOrBefore(0) != 0) throw new IllegalArgumentException("replay needs the snapshot of step 0; stored steps: " + java.util.Arrays.toString(store.steps()));
    this.record = record;
    this.data = List.copyOf(stageData);
    this.store = store;
    this.cacheBytes = cacheBytes;
    this.device = device;
  }

  public Replayer(RunRecord record, List<Dataset> stageData, SnapshotStore store) {
    this(record, stageData, store, DEFAULT_CACHE_BYTES);
  }

  @Override
  public RunRecord record() {
    return record;
  }

  @Override
  public List<Dataset> stageData() {
    return data;
  }

  @Override
  public Module newModel() {
    return new Stepper(record, data).model();
  }

  @Override
  public Trajectory fork() {
    return new Replayer(record, data, store, cacheBytes);
  }

  /** Number of steps replayed so far (for tests and cost reports). */
  public int stepsReplayed() {
    return replayed;
  }

  @Override
  public Snapshot at(int k) {
    if (k < 0 || k > record.totalSteps()) throw new IndexOutOfBoundsException("step " + k + " outside [0, " + record.totalSteps() + "]");
    if (store.has(k)) return store.load(k);
    Snapshot hit = window.get(k);
    if (hit == null) hit = anchors.get(k);
    if (hit != null) return hit;
    if (k > record.stepsCompleted()) throw new IllegalStateException("step " + k + " is beyond the " + record.stepsCompleted() + " steps the run has completed");
    int from = store.latestAtOrBefore(k);
    Snapshot start = store.load(from);
    Map.Entry<Integer, Snapshot> w = window.floorEntry(k);
    if (w != null && w.getKey() > from) start = w.getValue();
    Map.Entry<Integer, Snapshot> a = anchors.floorEntry(k);
    if (a != null && a.getKey() > start.step()) start = a.getValue();
    return replay(start, k);
  }

  private Snapshot replay(Snapshot start, int k) {
    if (stepper == null) stepper = new Stepper(record, data, device);
    stepper.restore(start);
    int m = windowSize();
    Snapshot last = start;
    for (int j = start.step(); j < k; j++) {
      stepper.step(j);
      replayed++;
      int done = j + 1;
      if (done > k - m) {
        last = stepper.snapshot(done);
        window.put(done, last);
      } else if ((done - start.step()) % m == 0) {
        anchors.put(done, stepper.snapshot(done));
      }
    }
    window.headMap(k - m + 1).clear();
    window.tailMap(k, false).clear();
    return last;
  }

  private int windowSize() {
    if (windowSize == 0) {
      long per = Math.max(1, store.load(store.steps()[store.steps().length - 1]).bytes());
      windowSize = (int) Math.max(2, Math.min(record.totalSteps() + 1L, cacheBytes / per));
    }
    return windowSize;
  }

  /**
   * Replays the whole run from step 0 and checks every stored snapshot bit for bit.
   *
   * @throws IllegalStateException naming the first step and tensor that differ (training is then
   *     not reproducible here: other data, kernels or thread count than when recorded)
   */
  public void verify() {
    Stepper s = new Stepper(record, data, device);
    s.restore(store.load(0));
    int[] steps = store.steps();
    int next = 1;
    int end = Math.min(record.stepsCompleted(), steps[steps.length - 1]);
    for (int j = 0; j < end; j++) {
      s.step(j);
      if (next < steps.length && steps[next] == j + 1) {
        Snapshot mine = s.snapshot(j + 1);
        String d = mine.difference(store.load(j + 1));
        if (d != null) throw new IllegalStateException("replay differs from the stored snapshot of step " + (j + 1) + ": " + d);
        next++;
      }
    }
  }
}
