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

/**
 * EK-FAC on a trained model of a paper task ({@link PaperTask}, float32, trained once in the set-up
 * by the project's trainer): fitting the factors (covariances A and S over the training set with
 * one sampled label per example, their eigendecompositions, the eigenvalue correction), and scoring
 * the influence of every training example on every query with the fitted curvature
 * (query gradients preconditioned, training gradients streamed).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx4g"})
public class InfluenceBench {
  @Param({"concrete"})
  public String task;

  @Param({"2"})
  public int threads;

  private AttributionTask attribution;
  private List<Tensor> params;
  private Preconditioner ekfac;

  @Setup
  public void setup() {
    PaperTask t = PaperTask.of(task, DType.F32);
    TrainResult trained = Parallel.withThreads(threads, () -> t.train(1));
    attribution = t.attributionTask(trained);
    params = trained.model().parameterValues();
    ekfac = Preconditioners.kronecker(fit(), Damping.meanEigenvalue(0.1));
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
}
