package dev.unroll.tda;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerBasis;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.KroneckerFactors;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.Gradients;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.Preconditioner;
import dev.unroll.tda.methods.Preconditioners;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Wall-clock phases of EK-FAC influence on the paper's model shapes (random data of the right
 * shapes: the cost does not depend on the values). Not a test: run with
 * {@code java -cp <test classpath> dev.unroll.tda.Timings [concrete|fashion] [F32|F64] [default|trakK]}
 * (with {@code default}, also times the default path: φ(G) applied to query gradients, then streamed;
 * with {@code trakK}, e.g. {@code trak512}, times TRAK with projection dimension K instead).
 */
public final class Timings {
  private Timings() {}

  public static void main(String[] args) {
    String which = args.length > 0 ? args[0] : "concrete";
    DType dt = args.length > 1 ? DType.valueOf(args[1]) : DType.F32;
    boolean defaultPath = args.length > 2 && args[2].equals("default");
    int queries = 100;
    Rng r = new Rng(1);
    AttributionTask t;
    if (which.equals("concrete")) {
      int n = 896;
      Mlp m = Mlp.of(dt, r, Activation.RELU, 8, 128, 128, 128, 1);
      Tensor x = Tensor.randn(r, dt, n + queries, 8);
      Dataset all = new Dataset("concrete-shaped", x, new Targets.Regression(Tensor.randn(r, DType.F64, n + queries, 1).to(dt)));
      t = new AttributionTask(m, new MseLoss(), Measurement.absoluteError(), all.subset(IntStream.range(0, n).toArray()), all.subset(IntStream.range(n, n + queries).toArray()));
    } else {
      int n = 6144;
      Mlp m = Mlp.of(dt, r, Activation.RELU, 784, 512, 256, 128, 10);
      Tensor x = Tensor.uniform(r, dt, 0, 1, n + queries, 784);
      int[] y = new int[n + queries];
      for (int i = 0; i < y.length; i++) y[i] = r.nextInt(10);
      Dataset all = new Dataset("fashion-shaped", x, new Targets.Classes(y, 10));
      t = new AttributionTask(m, new CrossEntropyLoss(), Measurement.margin(), all.subset(IntStream.range(0, n).toArray()), all.subset(IntStream.range(n, n + queries).toArray()));
    }
    List<Tensor> p = t.model().parameterValues();
    if (args.length > 2 && args[2].startsWith("trak")) {
      int k = Integer.parseInt(args[2].substring(4));
      for (int rep = 0; rep < 2; rep++) {
        long c0 = cpu(), t0 = System.nanoTime();
        Scores s = dev.unroll.tda.methods.Trak.scores(t, List.of(p), dev.unroll.tda.methods.Trak.Options.defaults(k));
        System.out.printf("%s %s TRAK k=%d, one model: %.2f s (process CPU %.2f s), check %.3g%n", which, dt, k, sec(System.nanoTime() - t0), sec(cpu() - c0), s.get(0, 0));
      }
      return;
    }
    FitOptions fo = FitOptions.defaults().withBatchSize(128);
    ScoreOptions so = ScoreOptions.defaults().withTrainBatchSize(128);
    for (int rep = 0; rep < 2; rep++) {
      System.out.printf("%s %s, N=%d, Q=%d, P=%d, threads=%d, run %d%n", which, dt, t.numTrain(), t.numQueries(), t.layout().size(), Runtime.getRuntime().availableProcessors(), rep);
      long c0 = cpu(), t0 = System.nanoTime();
      KroneckerFactors f = Ekfac.covariances(t, p, fo);
      long t1 = System.nanoTime();
      KroneckerBasis basis = f.eigenbasis();
      long t2 = System.nanoTime();
      KroneckerCurvature c = basis.withEigenvalues(Ekfac.correction(t, p, basis, fo), java.util.Map.of());
      long t3 = System.nanoTime();
      Preconditioner pre = Preconditioners.kronecker(c, Damping.meanEigenvalue(0.1));
      long t4 = System.nanoTime(), t5 = t4;
      if (defaultPath) {
        // Apply φ(G) to the query gradients in the parameter basis, then stream.
        Tensor u = pre.apply(Gradients.queries(t, p, 128));
        t5 = System.nanoTime();
        GradientDots.pairwise(t, p, u, so.trainBatchSize());
      }
      long t5b = System.nanoTime();
      double[][] s = InfluenceFunctions.pairwise(t, p, pre, so).values();
      long t6 = System.nanoTime();
      Scores self = InfluenceFunctions.selfInfluence(t, p, pre, so);
      long t7 = System.nanoTime(), c7 = cpu();
      System.out.printf("  covariances %.2f s | eigendecompositions %.2f s | eigenvalue correction %.2f s | fit total %.2f s%n", sec(t1 - t0), sec(t2 - t1), sec(t3 - t2), sec(t3 - t0));
      if (defaultPath) System.out.printf("  default path: query gradients + precondition %.2f s | stream + score %.2f s%n", sec(t5 - t4), sec(t5b - t5));
      System.out.printf("  scores of %d queries (eigenbasis path: query factors + stream) %.2f s%n", queries, sec(t6 - t5b));
      System.out.printf("  EK-FAC fit + scores of %d queries: %.2f s; self-influence of %d examples: %.2f s (check %.3g %.3g); process CPU time of the run %.2f s%n", queries, sec(t3 - t0 + t6 - t5b), t.numTrain(), sec(t7 - t6), s[0][0], self.values()[0][0], sec(c7 - c0));
    }
  }

  /** CPU time of the whole process (all threads), to read timings on a shared machine. */
  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double sec(long ns) {
    return ns / 1e9;
  }
}
