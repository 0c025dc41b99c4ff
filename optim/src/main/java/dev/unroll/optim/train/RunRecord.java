package dev.unroll.optim.train;

import dev.unroll.nn.data.Batches;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * What a run did, step by step: for every global step k (0 ≤ k &lt; T) its stage, the indices of
 * its batch (positions in the stage's data, {@link DataSpec}), its learning rate η_k and its loss;
 * the steps at which parameters were checkpointed (0 and every stage's checkpoints, the final step
 * T among them) and the segments grouping them.
 *
 * <p>Step k takes θ_k to θ_{k+1}; "checkpoint c" is θ_c with the optimizer state after c steps.
 * The batches and learning rates are planned before training from the configuration and data
 * sizes alone (pure functions of them), so a record is complete for planned quantities from the
 * start; losses are filled in as steps run ({@link #stepsCompleted()}).
 */
public final class RunRecord {
  private final RunConfig config;
  private final int[] dataSizes;
  private final int[] stageStarts;
  private final int[][] batches;
  private final double[] lrs;
  private final double[] losses;
  private final int[] checkpointSteps;
  private final List<Segment> segments;
  private int stepsCompleted;

  private RunRecord(RunConfig config, int[] dataSizes, int[] stageStarts, int[][] batches, double[] lrs, double[] losses, int[] checkpointSteps, List<Segment> segments, int completed) {
    this.config = config;
    this.dataSizes = dataSizes;
    this.stageStarts = stageStarts;
    this.batches = batches;
    this.lrs = lrs;
    this.losses = losses;
    this.checkpointSteps = checkpointSteps;
    this.segments = segments;
    this.stepsCompleted = completed;
  }

  /** The plan of {@code config} on stage data of the given sizes: batches, learning rates, checkpoints, segments. */
  public static RunRecord plan(RunConfig config, int[] dataSizes) {
    int stages = config.numStages();
    if (dataSizes.length != stages) throw new IllegalArgumentException(stages + " stages but " + dataSizes.length + " data sizes");
    int[] starts = new int[stages + 1];
    List<int[]> order = new ArrayList<>();
    List<Double> lr = new ArrayList<>();
    TreeSet<Integer> ckpts = new TreeSet<>();
    ckpts.add(0);
    List<Segment> segs = new ArrayList<>();
    for (int s = 0; s < stages; s++) {
      StageSpec st = config.stage(s);
      int n = dataSizes[s];
      if (n == 0) throw new IllegalArgumentException("stage '" + st.name() + "' has no training examples");
      if (st.weights() != null && st.weights().length != n) {
        throw new IllegalArgumentException("stage '" + st.name() + "': " + st.weights().length + " loss weights for " + n + " examples");
      }
      Batches b = Batches.shuffled(n, st.batchSize(), config.orderSeed(s), st.dropLast());
      int k0 = order.size();
      starts[s] = k0;
      for (int e = 0; e < st.epochs(); e++) order.addAll(Arrays.asList(b.epochOrder(e)));
      int steps = order.size() - k0;
      for (int r = 0; r < steps; r++) lr.add(st.schedule().lr(r, steps));
      int[] rel = checkpointsOf(st, steps);
      for (int r : rel) ckpts.add(k0 + r);
      int groups = Math.min(st.segments(), rel.length);
      int at = 0, prevEnd = k0;
      for (int g = 0; g < groups; g++) {
        int size = rel.length / groups + (g < rel.length % groups ? 1 : 0);
        int[] cs = new int[size];
        for (int j = 0; j < size; j++) cs[j] = k0 + rel[at + j];
        at += size;
        segs.add(new Segment(s, prevEnd, cs[size - 1], cs));
        prevEnd = cs[size - 1];
      }
    }
    starts[stages] = order.size();
    int t = order.size();
    double[] lrs = new double[t];
    for (int k = 0; k < t; k++) lrs[k] = lr.get(k);
    double[] losses = new double[t];
    Arrays.fill(losses, Double.NaN);
    int[] cs = ckpts.stream().mapToInt(Integer::intValue).toArray();
    return new RunRecord(config, dataSizes.clone(), starts, order.toArray(new int[0][]), lrs, losses, cs, Collections.unmodifiableList(segs), 0);
  }

  private static int[] checkpointsOf(StageSpec st, int steps) {
    int[] explicit = st.checkpointSteps();
    if (explicit != null) {
      for (int r : explicit) {
        if (r > steps) throw new IllegalArgumentException("stage '" + st.name() + "': checkpoint at step " + r + " but the stage has only " + steps + " steps");
      }
      if (explicit.length > 0 && explicit[explicit.length - 1] == steps) return explicit;
      int[] withLast = Arrays.copyOf(explicit, explicit.length + 1);
      withLast[explicit.length] = steps;
      return withLast;
    }
    int c = Math.min(st.checkpoints(), steps);
    int[] rel = new int[c];
    for (int j = 1; j <= c; j++) rel[j - 1] = (int) ((long) j * steps / c);
    return rel;
  }

  public RunConfig config() {
    return config;
  }

  /** T, the total number of steps over all stages. */
  public int totalSteps() {
    return lrs.length;
  }

  public int numStages() {
    return stageStarts.length - 1;
  }

  /** First global step of stage s (stageStart(numStages()) = T). */
  public int stageStart(int s) {
    return stageStarts[s];
  }

  /** One past the last global step of stage s. */
  public int stageEnd(int s) {
    return stageStarts[s + 1];
  }

  /** The stage that step k belongs to (k = T: the last stage). */
  public int stageOf(int k) {
    if (k < 0 || k > totalSteps()) throw new IndexOutOfBoundsException("step " + k + " outside [0, " + totalSteps() + "]");
    for (int s = numStages() - 1; s >= 0; s--) if (k >= stageStarts[s]) return s;
    return 0;
  }

  /** Number of examples of stage s's data. */
  public int dataSize(int s) {
    return dataSizes[s];
  }

  /** The batch of step k: indices into its stage's data (a copy). */
  public int[] batch(int k) {
    return batches[k].clone();
  }

  /** The learning rate of step k. */
  public double lr(int k) {
    return lrs[k];
  }

  /** All learning rates (a copy). */
  public double[] lrs() {
    return lrs.clone();
  }

  /** The training objective at step k (before its update), NaN when the step has not run. */
  public double loss(int k) {
    return losses[k];
  }

  public double[] losses() {
    return losses.clone();
  }

  /** Number of steps run so far (T for a finished run). */
  public int stepsCompleted() {
    return stepsCompleted;
  }

  public boolean isComplete() {
    return stepsCompleted == totalSteps();
  }

  /** Steps with stored parameters: 0, each stage's checkpoints, T (increasing; a copy). */
  public int[] checkpointSteps() {
    return checkpointSteps.clone();
  }

  public boolean isCheckpoint(int step) {
    return Arrays.binarySearch(checkpointSteps, step) >= 0;
  }

  /** The latest checkpoint step ≤ k. */
  public int checkpointAtOrBefore(int k) {
    int i = Arrays.binarySearch(checkpointSteps, k);
    return i >= 0 ? checkpointSteps[i] : checkpointSteps[-i - 2];
  }

  /** All segments in step order. */
  public List<Segment> segments() {
    return segments;
  }

  /** The segments of stage s in step order. */
  public List<Segment> segments(int s) {
    List<Segment> out = new ArrayList<>();
    for (Segment g : segments) if (g.stage() == s) out.add(g);
    return out;
  }

  /** The number of times example i of stage s's data is in the batches of steps [from, to). */
  public int occurrences(int s, int i, int from, int to) {
    int c = 0;
    for (int k = Math.max(from, stageStart(s)); k < Math.min(to, stageEnd(s)); k++) for (int j : batches[k]) if (j == i) c++;
    return c;
  }

  // ------------------------------------------------------------------ filled in by the trainer

  void completeStep(int k, double loss) {
    if (k != stepsCompleted) throw new IllegalStateException("step " + k + " completed after " + stepsCompleted + " steps");
    losses[k] = loss;
    stepsCompleted = k + 1;
  }

  /** Rewinds to {@code k} completed steps (resuming from checkpoint k), forgetting later losses. */
  void rewindTo(int k, double[] knownLosses) {
    for (int j = 0; j < totalSteps(); j++) losses[j] = j < k ? knownLosses[j] : Double.NaN;
    stepsCompleted = k;
  }

  /** The batch array of step k without copying (package use in the step loop). */
  int[] batchView(int k) {
    return batches[k];
  }

  int[] dataSizes() {
    return dataSizes.clone();
  }
}
