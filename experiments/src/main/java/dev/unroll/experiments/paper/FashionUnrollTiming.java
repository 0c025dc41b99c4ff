package dev.unroll.experiments.paper;

import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.nn.Margin;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.unroll.ExactUnroll;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * Cost of exact unrolling in the FashionMNIST-N setting (not a unit test): the experiment's run
 * (MLP 784-512-256-128-10, 6144 images, batch 64, 3 epochs = 288 steps, float32, checkpoints only),
 * then one reverse sweep for {@code --queries} queries of the margin, with {@code --threads} sweeps
 * of {@code --block} queries, in the sweep precision {@code --dtype float32|float64}. Prints wall
 * time, process CPU time, the ratio to the training run, and the peak heap. With {@code --compare N}
 * it also runs N queries in the other precision and reports how far the scores differ.
 * Run: {@code java -cp experiments/target/unroll.jar dev.unroll.experiments.paper.FashionUnrollTiming --data DIR}.
 */
public final class FashionUnrollTiming {
  private FashionUnrollTiming() {}

  public static void main(String[] args) throws Exception {
    dev.unroll.experiments.Options o = dev.unroll.experiments.Options.parse(args, java.util.Set.of("data", "queries", "threads", "block", "dtype", "compare", "epochs"), java.util.Set.of());
    Recipe r0 = Recipe.fashionMnistN();
    Recipe r = new Recipe(r0.task(), r0.widths(), r0.trainSize(), r0.querySize(), r0.lr(), r0.momentum(), r0.weightDecay(), r0.batchSize(), o.getInt("epochs", r0.epochs()));
    int nq = o.getInt("queries", 100), threads = o.getInt("threads", 2), block = o.getInt("block", 8), compare = o.getInt("compare", 0);
    DType dt = o.get("dtype", "float32").equals("float64") ? DType.F64 : DType.F32;
    ImageSetting setting = ImageSetting.of("fashion-mnist-n", o.get("data", null), 0, r.epochs());
    Setting.Data data = setting.data();
    Dataset train = data.train();
    Dataset queries = Splits.first(data.queries(), nq).withName(data.queries().name());
    RunConfig cfg = setting.config(data, 0);
    DataSource source = DataSource.of(train, queries);
    Measurement f = new Margin();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
    TrainResult run = Trainer.train(cfg, source, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    double trainWall = (System.nanoTime() - t0) / 1e9, trainCpu = (os.getProcessCpuTime() - c0) / 1e9;
    System.out.printf("train: %d steps in %.1f s wall, %.1f s CPU; final loss %.4f%n", run.record().totalSteps(), trainWall, trainCpu, run.record().loss(run.record().totalSteps() - 1));
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    long before = heapPeak();
    c0 = os.getProcessCpuTime();
    t0 = System.nanoTime();
    ExactUnroll.Result res = Backends.withCpu(Backends.cpu(), () -> ExactUnroll.scores(run.trajectory(), queries, f, new ExactUnroll.Options(block, threads).withSweepType(dt)));
    double wall = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - c0) / 1e9;
    System.out.printf("exact unroll (%s sweep): %d queries, block %d, %d threads: %.1f s wall, %.1f s CPU (%.1f x the training run's wall time, %.1f ms CPU per query-step); peak heap %.0f MiB (%.0f MiB before)%n",
        dt, nq, block, threads, wall, cpu, wall / trainWall, cpu * 1e3 / nq / run.record().totalSteps(), heapPeak() / 1048576.0, before / 1048576.0);
    if (compare > 0) {
      DType other = dt == DType.F32 ? DType.F64 : DType.F32;
      Dataset qs = Splits.first(queries, compare).withName(queries.name());
      double[][] a = res.combined().values(), b = ExactUnroll.scores(run.trajectory(), qs, f, new ExactUnroll.Options(block, threads).withSweepType(other)).combined().values();
      double worst = 0, sp = 0;
      for (int q = 0; q < compare; q++) {
        double largest = 0;
        for (double v : b[q]) largest = Math.max(largest, Math.abs(v));
        for (int i = 0; i < b[q].length; i++) worst = Math.max(worst, Math.abs(a[q][i] - b[q][i]) / largest);
        sp += new SpearmansCorrelation().correlation(a[q], b[q]) / compare;
      }
      System.out.printf("%s vs %s sweep on %d queries: largest difference %.2e of the row's largest |score|; Spearman %.6f%n", dt, other, compare, worst, sp);
    }
  }

  private static long heapPeak() {
    long s = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) s += p.getPeakUsage().getUsed();
    return s;
  }
}
