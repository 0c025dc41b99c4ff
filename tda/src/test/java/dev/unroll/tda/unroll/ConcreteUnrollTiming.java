package dev.unroll.tda.unroll;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.nn.data.Standardizer;
import dev.unroll.nn.data.TrainTest;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.Scores;

/**
 * Wall-clock cost of exact unrolling in the UCI Concrete setting of method.md §7 (not a unit test):
 * MLP 8-128-128-128-1 ReLU, 896 training points, batch 32, 20 epochs = 560 steps, SGD momentum 0.9,
 * weight decay 1e-5, lr 3e-2; 103 queries, f = absolute error. Arguments: dtype (float64|float32),
 * queries, threads, query block. Run after {@code mvn -q -pl tda -am test-compile} with the tda test
 * classpath: {@code java --add-modules=jdk.incubator.vector -cp ... dev.unroll.tda.unroll.ConcreteUnrollTiming float64 103 2}.
 * The data: Concrete split 896 / 103 (seed 0), inputs and targets standardised on the training part.
 */
public final class ConcreteUnrollTiming {
  public static void main(String[] args) {
    DType dtype = args.length > 0 && args[0].equals("float32") ? DType.F32 : DType.F64;
    int nq = args.length > 1 ? Integer.parseInt(args[1]) : 103;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    int block = args.length > 3 ? Integer.parseInt(args[3]) : Integer.MAX_VALUE;
    TrainTest split = Splits.split(DataSets.concrete(), 896, 103, 0);
    Standardizer sx = Standardizer.fitInputs(split.train()), sy = Standardizer.fitTargets(split.train());
    Dataset train = sy.transformTargets(sx.transformInputs(split.train())).withName("concrete-train");
    Dataset test = sy.transformTargets(sx.transformInputs(split.test())).withName("concrete-test");
    Dataset queries = Splits.first(test, nq);
    StageSpec st = StageSpec.of("train", DataSpec.all("concrete-train"), OptimizerSpec.sgd(0.9, 1e-5, false), LrSchedule.constant(3e-2), 32, 20);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 8, 128, 128, 128, 1), "mse", dtype, 0, st);
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long c0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    TrainResult run = Trainer.train(c, DataSource.of(train), TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    long t1 = System.nanoTime();
    long c1 = os.getProcessCpuTime();
    System.out.printf("train: %d steps in %.2f s (process CPU %.2f s), final loss %.4f%n", run.record().totalSteps(), (t1 - t0) / 1e9, (c1 - c0) / 1e9, run.record().loss(run.record().totalSteps() - 1));
    Scores s = ExactUnroll.scores(run.trajectory(), queries, Measurement.absoluteError(), new ExactUnroll.Options(block, threads)).stage(0);
    long t2 = System.nanoTime();
    long c2 = os.getProcessCpuTime();
    double norm = 0;
    for (int q = 0; q < s.queries(); q++) for (int m = 0; m < s.examples(); m++) norm += s.get(q, m) * s.get(q, m);
    System.out.printf("exact unroll (%s): %d queries x %d examples, %d threads, in %.1f s wall, %.1f s process CPU (%.2f ms CPU per query-step); ||tau||_F = %.6g%n",
        dtype, s.queries(), s.examples(), threads, (t2 - t1) / 1e9, (c2 - c1) / 1e9, (c2 - c1) / 1e6 / s.queries() / run.record().totalSteps(), Math.sqrt(norm));
  }
}
