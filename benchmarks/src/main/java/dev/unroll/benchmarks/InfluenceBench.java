package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.Preconditioner;
import dev.unroll.tda.methods.Preconditioners;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Attribution on a trained model of a paper task ({@link PaperTask}, float32, trained once in the
 * set-up by the project's trainer, keeping its checkpoints), with the settings of the experiments
 * (true Fisher with one sampled label per example, damping 0.1 × mean eigenvalue):
 * <ul>
 *   <li>EK-FAC influence: fitting the factors (covariances A and S over the training set, their
 *       eigendecompositions, the eigenvalue correction), and scoring every training example
 *       against every query with the fitted curvature (query gradients preconditioned once,
 *       training gradients streamed);</li>
 *   <li>SOURCE with its defaults (6 checkpoints in 3 segments, EK-FAC per segment, exponential
 *       form): fitting every segment's curvature, and scoring.</li>
 * </ul>
 * The set-up calls the measured method first until the JIT is warm ({@link JitWarmup}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
public class InfluenceBench {
  @Param({"concrete"})
  public String task;

  @Param({"2"})
  public int threads;

  private AttributionTask attribution;
  private List<Tensor> params;
  private Preconditioner ekfac;
  private SourceInputs sourceInputs;
  private Source source;

  @Setup
  public void setup(BenchmarkParams bp, Blackhole bh) {
    PaperTask t = PaperTask.of(task, DType.F32);
    TrainResult trained = Parallel.withThreads(threads, () -> t.train(1));
    attribution = t.attributionTask(trained);
    params = trained.model().parameterValues();
    ekfac = Preconditioners.kronecker(fit(), Damping.meanEigenvalue(0.1));
    sourceInputs = SourceInputs.of(trained.trajectory(), attribution);
    source = sourceFit();
    JitWarmup.run(bp, java.util.Map.of("ekfacFit", this::ekfacFit, "ekfacScores", this::ekfacScores, "sourceFit", this::sourceFit, "sourceScores", this::sourceScores), bh);
  }

  private KroneckerCurvature fit() {
    return Parallel.withThreads(threads, () -> Ekfac.ekfac(attribution, params, FitOptions.defaults()));
  }

  @Benchmark
  public KroneckerCurvature ekfacFit() {
    return fit();
  }

  @Benchmark
  public Scores ekfacScores() {
    return Parallel.withThreads(threads, () -> InfluenceFunctions.pairwise(attribution, params, ekfac, ScoreOptions.defaults()));
  }

  @Benchmark
  public Source sourceFit() {
    return Parallel.withThreads(threads, () -> Source.fit(sourceInputs, SourceOptions.defaults()));
  }

  @Benchmark
  public Scores sourceScores() {
    return Parallel.withThreads(threads, () -> source.pairwise());
  }
}
