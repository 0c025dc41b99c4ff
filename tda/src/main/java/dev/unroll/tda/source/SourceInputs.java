package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.Segment;
import dev.unroll.optim.train.Snapshot;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.Trajectory;
import dev.unroll.tda.AttributionTask;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything SOURCE and TracIn read from a training run: the attribution task (model, loss,
 * measurement, the scored training examples, the queries), the stages (their data, where their
 * examples are scored, their optimizer), the segments in step order with their checkpoints, and the
 * final parameters θ_T at which query gradients are taken.
 *
 * <p>Usually built from a recorded run ({@link #of(Trajectory, AttributionTask)}); the canonical
 * constructor accepts any plan, e.g. segments whose checkpoints sit at their first step (the
 * exact-unrolling special case of method.md §4).
 */
public final class SourceInputs {
  private final AttributionTask task;
  private final List<SourceStage> stages;
  private final List<SourceSegment> segments;
  private final List<Tensor> finalParameters;
  private final boolean fast;

  public SourceInputs(AttributionTask task, List<SourceStage> stages, List<SourceSegment> segments, List<Tensor> finalParameters) {
    this(task, stages, segments, finalParameters, false);
  }

  private SourceInputs(AttributionTask task, List<SourceStage> stages, List<SourceSegment> segments, List<Tensor> finalParameters, boolean fast) {
    if (stages.isEmpty()) throw new IllegalArgumentException("SOURCE needs at least one stage");
    if (segments.isEmpty()) throw new IllegalArgumentException("SOURCE needs at least one segment");
    this.task = task;
    this.stages = List.copyOf(stages);
    this.segments = List.copyOf(segments);
    this.finalParameters = List.copyOf(finalParameters);
    this.fast = fast;
    List<Parameter> ps = task.model().parameters();
    checkParameters("final parameters", finalParameters, ps);
    for (SourceStage st : this.stages) st.rowsOfColumns(task.numTrain());
    int prevEnd = -1;
    for (SourceSegment seg : this.segments) {
      if (seg.stage() < 0 || seg.stage() >= stages.size()) throw new IllegalArgumentException(seg + " refers to stage " + seg.stage() + " of " + stages.size());
      if (seg.startStep() < prevEnd) throw new IllegalArgumentException(seg + " starts before the previous segment ends (step " + prevEnd + "): segments must be in step order");
      prevEnd = seg.endStep();
      boolean pre = stages.get(seg.stage()).dynamics().preconditioned();
      for (SourceCheckpoint c : seg.checkpoints()) {
        checkParameters(seg + ", checkpoint " + c.step(), c.parameters(), ps);
        if (pre && c.preconditioner() == null) throw new IllegalArgumentException(seg + ": stage '" + stages.get(seg.stage()).name() + "' uses " + stages.get(seg.stage()).dynamics() + " but checkpoint " + c.step() + " has no preconditioner");
      }
    }
  }

  private static void checkParameters(String what, List<Tensor> values, List<Parameter> ps) {
    if (values.size() != ps.size()) throw new IllegalArgumentException(what + ": " + values.size() + " tensors for the model's " + ps.size() + " parameters");
    for (int i = 0; i < ps.size(); i++) {
      if (!Arrays.equals(values.get(i).shape(), ps.get(i).shape())) {
        throw new IllegalArgumentException(what + ": value " + i + " has shape " + Arrays.toString(values.get(i).shape()) + ", parameter '" + ps.get(i).name() + "' " + Arrays.toString(ps.get(i).shape()));
      }
    }
  }

  // ------------------------------------------------------------------ from a recorded run

  /**
   * The inputs of a recorded run whose scored training examples follow {@link #defaultColumns}.
   * The task's model must have the run's architecture (e.g. {@link Trajectory#newModel()}) and its
   * loss must be the run's.
   */
  public static SourceInputs of(Trajectory run, AttributionTask task) {
    return of(run, task, defaultColumns(run.config(), run.stageData(), task.numTrain()));
  }

  /**
   * The inputs of a recorded run: one SOURCE segment per recorded {@link Segment} (its checkpoints in
   * (start, end], each loaded from the run), stage data as trained on, example i of stage s scored in
   * column {@code columns[s][i]}, θ_T the run's final state. For Adam-type stages each checkpoint's
   * preconditioner is read from the optimizer state: P = 1/(√(v/(1 − β₂ᵗ)) + ε), the factor Adam
   * multiplies the bias-corrected first moment by.
   *
   * @throws IllegalArgumentException when the run has per-example loss weights (SOURCE attributes
   *     unweighted training), when the run is incomplete, or when columns and stages disagree
   */
  public static SourceInputs of(Trajectory run, AttributionTask task, int[][] columns) {
    RunRecord rec = run.record();
    RunConfig cfg = rec.config();
    if (!rec.isComplete()) throw new IllegalArgumentException("the run has completed " + rec.stepsCompleted() + " of " + rec.totalSteps() + " steps; SOURCE needs a finished run");
    if (columns.length != rec.numStages()) throw new IllegalArgumentException(columns.length + " column maps for a run of " + rec.numStages() + " stages");
    if (!task.loss().getClass().equals(cfg.lossFunction().getClass())) {
      throw new IllegalArgumentException("the task's loss " + task.loss() + " is not the run's loss " + cfg.lossFunction());
    }
    List<Dataset> data = run.stageData();
    List<SourceStage> stages = new ArrayList<>();
    for (int s = 0; s < rec.numStages(); s++) {
      StageSpec spec = cfg.stage(s);
      if (spec.weights() != null) throw new IllegalArgumentException("stage '" + spec.name() + "' trains with per-example loss weights; SOURCE attributes unweighted training only");
      SourceStage st = new SourceStage(spec.name(), data.get(s), columns[s], StageDynamics.of(spec.optimizer()));
      checkSameExamples(st, task.train());
      stages.add(st);
    }
    List<String> names = new ArrayList<>();
    for (Parameter p : task.model().parameters()) names.add(p.name());
    List<SourceSegment> segs = new ArrayList<>();
    for (Segment g : rec.segments()) {
      StageDynamics dyn = stages.get(g.stage()).dynamics();
      List<SourceCheckpoint> cks = new ArrayList<>();
      for (int step : g.checkpointSteps()) {
        Snapshot snap = run.at(step);
        List<Tensor> params = parametersOf(snap, names);
        List<Tensor> pre = dyn.preconditioned() ? adamPreconditioner(snap, names, cfg.stage(g.stage()).optimizer()) : null;
        cks.add(new SourceCheckpoint(step, params, pre, rec.lr(step - 1)));
      }
      segs.add(new SourceSegment(g.stage(), g.startStep(), g.endStep(), g.lrSum(rec), dyn.lrScale(), cks));
    }
    List<Tensor> fin = parametersOf(run.at(rec.totalSteps()), names);
    return new SourceInputs(task, stages, segs, fin);
  }

  /**
   * Where each stage's examples are scored when not said otherwise: a single stage in columns
   * 0..N−1 (the task's training set is the stage's data); several stages that all train on subsets of
   * one named data set in the positions of that set ({@link dev.unroll.optim.train.DataSpec#indices()},
   * so the task's training set is the whole named set); otherwise the stages' data one after another.
   */
  public static int[][] defaultColumns(RunConfig cfg, List<Dataset> stageData, int numTrain) {
    int n = cfg.numStages();
    int[][] out = new int[n][];
    if (n == 1) {
      if (stageData.get(0).size() != numTrain) throw new IllegalArgumentException("the run trained on " + stageData.get(0).size() + " examples, the task scores " + numTrain);
      out[0] = SourceStage.identity(numTrain);
      return out;
    }
    boolean shared = true;
    for (int s = 1; s < n; s++) shared &= cfg.stage(s).data().dataset().equals(cfg.stage(0).data().dataset());
    int at = 0;
    for (int s = 0; s < n; s++) {
      int[] idx = cfg.stage(s).data().indices();
      if (shared) {
        out[s] = idx != null ? idx : SourceStage.identity(stageData.get(s).size());
      } else {
        out[s] = new int[stageData.get(s).size()];
        for (int i = 0; i < out[s].length; i++) out[s][i] = at + i;
        at += out[s].length;
      }
      for (int c : out[s]) {
        if (c >= numTrain) throw new IllegalArgumentException("stage '" + cfg.stage(s).name() + "' example scored in column " + c + " but the task has " + numTrain + " training examples");
      }
    }
    return out;
  }

  /** The stage's inputs must be the task's training inputs in the given columns (compared in float64, to float32 rounding). */
  private static void checkSameExamples(SourceStage st, Dataset train) {
    double[] a = st.data().x().to(DType.F64).toDoubleArray();
    double[] b = train.subset(st.columns()).x().to(DType.F64).toDoubleArray();
    if (a.length != b.length) throw new IllegalArgumentException("stage '" + st.name() + "' inputs have " + a.length + " values, the task's examples in its columns " + b.length);
    for (int i = 0; i < a.length; i++) {
      if (Math.abs(a[i] - b[i]) > 1e-6 * (1 + Math.abs(a[i]))) {
        int per = a.length / st.size();
        throw new IllegalArgumentException("stage '" + st.name() + "' example " + i / per + " differs from the task's training example in column " + st.column(i / per)
            + " (input value " + a[i] + " vs " + b[i] + "): the score columns do not match the run's data");
      }
    }
  }

  private static List<Tensor> parametersOf(Snapshot snap, List<String> names) {
    List<Tensor> out = new ArrayList<>();
    for (String n : names) {
      Tensor t = snap.parameters().get(n);
      if (t == null) throw new IllegalArgumentException("snapshot of step " + snap.step() + " has no parameter '" + n + "'; it has " + snap.parameters().keySet());
      out.add(t);
    }
    return out;
  }

  /** P = 1/(√(v/(1 − β₂ᵗ)) + ε) per parameter from an Adam state after t steps. */
  static List<Tensor> adamPreconditioner(Snapshot snap, List<String> names, OptimizerSpec spec) {
    Map<String, Tensor> st = snap.optimizerState();
    Tensor stepT = st.get("step");
    if (stepT == null) throw new IllegalArgumentException("snapshot of step " + snap.step() + " has no Adam step count; optimizer state keys: " + st.keySet());
    double t = stepT.item();
    double bc2 = 1 - Math.pow(spec.beta2(), t);
    List<Tensor> out = new ArrayList<>();
    try (var g = GradMode.off()) {
      for (String n : names) {
        Tensor v = st.get("adam.v." + n);
        if (v == null) throw new IllegalArgumentException("snapshot of step " + snap.step() + " has no Adam second moment 'adam.v." + n + "'");
        out.add(v.to(DType.F64).div(bc2).sqrt().add(spec.eps()).pow(-1).contiguous());
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ variants

  /** Fast-Source: every segment's checkpoints replaced by one holding their mean parameters ({@link SourceSegment#averaged()}). */
  public SourceInputs fast() {
    List<SourceSegment> s = new ArrayList<>();
    for (SourceSegment g : segments) s.add(g.averaged());
    return new SourceInputs(task, stages, s, finalParameters, true);
  }

  /** These inputs with other segments (e.g. fewer checkpoints). */
  public SourceInputs withSegments(List<SourceSegment> s) {
    return new SourceInputs(task, stages, s, finalParameters, fast);
  }

  /** These inputs with another task of the same model, loss and training set (other queries or measurement). */
  public SourceInputs withTask(AttributionTask t) {
    if (t.model() != task.model() || t.numTrain() != task.numTrain()) throw new IllegalArgumentException("withTask needs the same model and training set");
    return new SourceInputs(t, stages, segments, finalParameters, fast);
  }

  // ------------------------------------------------------------------ access

  public AttributionTask task() { return task; }

  public List<SourceStage> stages() { return stages; }

  public List<SourceSegment> segments() { return segments; }

  /** θ_T, where query gradients are taken. */
  public List<Tensor> finalParameters() { return finalParameters; }

  /** Whether the segments hold averaged parameters (Fast-Source). */
  public boolean isFast() { return fast; }

  /** The task restricted to stage s: its training set is the stage's data. */
  public AttributionTask stageTask(int s) {
    return task.withTrain(stages.get(s).data());
  }

  /** N / N_s: the factor that puts stage s's contributions in the units of the task's 1/N (method.md §1). */
  public double stageWeight(int s) {
    return task.numTrain() / (double) stages.get(s).size();
  }

  /** The plan as settings: stages and segments. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    StringBuilder st = new StringBuilder("[");
    for (int s = 0; s < stages.size(); s++) st.append(s == 0 ? "" : ", ").append(stages.get(s).name()).append(": ").append(stages.get(s).size()).append(" examples, ").append(stages.get(s).dynamics());
    m.put("stages", st.append(']').toString());
    m.put("segments", segments.toString());
    m.put("num_segments", Integer.toString(segments.size()));
    int c = 0;
    for (SourceSegment g : segments) c += g.numCheckpoints();
    m.put("num_checkpoints", Integer.toString(c));
    return m;
  }
}
