package dev.unroll.optim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.data.Batches;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerTest {
  static void assertBitEqual(Map<String, Tensor> a, Map<String, Tensor> b) {
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) {
      double[] x = a.get(k).toDoubleArray(), y = b.get(k).toDoubleArray();
      for (int i = 0; i < x.length; i++) assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), k + "[" + i + "]: " + x[i] + " vs " + y[i]);
    }
  }

  /** The plain loop the trainer promises to run: seeded init, seeded per-stage batch order, mean loss, fresh optimizer per stage. */
  @Test
  void twoStagesMatchAHandWrittenLoop() {
    RunConfig c = Toy.twoStage(5);
    DataSource src = Toy.twoStageData();
    TrainResult r = Trainer.train(c, src, TrainOptions.inMemory());

    Module m = c.model().build(DType.F64, new Rng(5));
    List<Parameter> ps = m.parameters();
    List<Tensor> vs = new ArrayList<>();
    for (Parameter p : ps) vs.add(p.value());
    Loss loss = new MseLoss();
    for (int s = 0; s < 2; s++) {
      StageSpec st = c.stage(s);
      Dataset d = src.get(st.data().dataset());
      Optimizer opt = st.optimizer().create();
      Batches b = Batches.shuffled(d.size(), st.batchSize(), c.orderSeed(s), false);
      int steps = st.epochs() * b.batchesPerEpoch(), k = 0;
      for (int e = 0; e < st.epochs(); e++) {
        for (Batch batch : b.epoch(d, e)) {
          Tensor j = loss.mean(m.forward(batch.x()), batch.y());
          opt.step(ps, Autograd.grad(j, vs), st.schedule().lr(k++, steps));
        }
      }
    }
    assertBitEqual(m.stateDict(), r.finalParameters());
    assertTrue(r.isComplete());
    assertTrue(r.record().loss(17) < r.record().loss(12) || r.record().loss(11) < r.record().loss(0), "training lowered the loss");
  }

  /** One plain-SGD step over the whole set: θ₁ − θ₀ = −η·(1/B)·Σ wᵢ∇L(zᵢ, θ₀), with ∇L(zᵢ) from single-example backward passes. */
  @Test
  void weightedStepIsTheWeightedMeanOfPerExampleGradients() {
    Dataset d = Toy.regression("d", 6, 3, 3);
    double[] w = {1, 0.5, 2, 0, 1.25, 3};
    double lr = 0.1;
    StageSpec st = new StageSpec("s", DataSpec.all("d"), OptimizerSpec.sgd(0, 0, false), LrSchedule.constant(lr), 6, 1, false, 1, 1, null, w);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 4, 1), "mse", DType.F64, 9, st);
    TrainResult r = Trainer.train(c, DataSource.of(d), TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    Module m = c.model().build(DType.F64, new Rng(9));
    List<Tensor> vs = m.parameterValues();
    double[] expected = r.snapshots().get(0).flatParameters(DType.F64).toDoubleArray();
    assertArrayEquals(expected, flat(m.stateDict()));
    int at = 0;
    double[][] grads = new double[6][];
    for (int i = 0; i < 6; i++) {
      Batch b = d.batch(new int[] {i});
      List<Tensor> g = Autograd.grad(new MseLoss().mean(m.forward(b.x()), b.y()), vs);
      List<Double> all = new ArrayList<>();
      for (Tensor t : g) for (double v : t.toDoubleArray()) all.add(v);
      grads[i] = all.stream().mapToDouble(Double::doubleValue).toArray();
    }
    double[] after = flat(r.finalParameters());
    for (int p = 0; p < expected.length; p++) {
      double sum = 0;
      for (int i = 0; i < 6; i++) sum += w[i] * grads[i][p];
      assertEquals(expected[p] - lr * sum / 6, after[p], 1e-14, "parameter entry " + p);
      at++;
    }
    assertEquals(expected.length, at);
  }

  static double[] flat(Map<String, Tensor> m) {
    List<Double> all = new ArrayList<>();
    for (Tensor t : m.values()) for (double v : t.toDoubleArray()) all.add(v);
    return all.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void divergenceStopsAtTheStepWithAClearMessage() {
    Dataset d = Toy.regression("d", 16, 3, 4);
    StageSpec st = StageSpec.of("s", DataSpec.all("d"), OptimizerSpec.sgd(0.9, 0, false), LrSchedule.constant(50), 4, 50);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 3, 16, 1), "mse", DType.F64, 2, st);
    DivergenceException e = assertThrows(DivergenceException.class, () -> Trainer.train(c, DataSource.of(d), TrainOptions.inMemory()));
    assertTrue(e.step() > 0 && e.step() < 200, "step " + e.step());
    assertTrue(!Double.isFinite(e.loss()));
    assertTrue(e.getMessage().startsWith("training diverged at step " + e.step() + " (stage 's', epoch " + e.step() / 4 + ", batch " + e.step() % 4 + " of the epoch"), e.getMessage());
  }

  @Test
  void parallelRunsEqualSequentialRuns() {
    Dataset d = Toy.regression("d", 20, 3, 8);
    RunConfig base = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 8, 1), "mse", DType.F64, 0,
        StageSpec.of("s", DataSpec.all("d"), OptimizerSpec.sgd(0.9, 1e-4, false), LrSchedule.constant(0.05), 4, 3));
    List<RunConfig> configs = new ArrayList<>();
    Rng rng = new Rng(1);
    for (int i = 0; i < 6; i++) {
      int[] perm = rng.permutation(20);
      configs.add(base.withSeed(i).withData(0, DataSpec.subset("d", java.util.Arrays.copyOf(perm, 10))));
    }
    Evaluation eval = (model, cfg) -> model.forward(d.x()).toDoubleArray();
    TrainOptions o = TrainOptions.inMemory().evaluation(eval);
    List<TrainResult> par = Trainer.trainAll(configs, DataSource.of(d), o, 2);
    for (int i = 0; i < configs.size(); i++) {
      TrainResult seq = Trainer.train(configs.get(i), DataSource.of(d), o);
      assertBitEqual(seq.finalParameters(), par.get(i).finalParameters());
      assertArrayEquals(seq.measurements(), par.get(i).measurements());
      assertEquals(configs.get(i), par.get(i).config());
    }
    assertNull(par.get(0).directory());
  }

  @Test
  void eachParallelRunHasOneKernelThread() {
    assertEquals(1, KernelThreads.single(dev.unroll.autodiff.Parallel::threads));
  }

  @Test
  void trainAllNamesTheRunThatFailed() {
    Dataset d = Toy.regression("d", 20, 3, 8);
    RunConfig ok = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 4, 1), "mse", DType.F64, 0,
        StageSpec.of("s", DataSpec.all("d"), OptimizerSpec.sgd(0, 0, false), LrSchedule.constant(0.05), 4, 1));
    RunConfig bad = ok.withData(0, DataSpec.subset("d", new int[] {3, 25}));
    RuntimeException e = assertThrows(RuntimeException.class, () -> Trainer.trainAll(List.of(ok, bad), DataSource.of(d), TrainOptions.inMemory(), 2));
    assertTrue(e.getMessage().startsWith("run 1 of 2 failed: data spec 'd': index 25 at position 1 is outside"), e.getMessage());
  }

  @Test
  void smallCnnTrainsWithAdamInFloat32() {
    Dataset d = Toy.images("img", 24, 5);
    StageSpec st = StageSpec.of("s", DataSpec.all("img"), OptimizerSpec.adam(0.9, 0.999, 1e-8, 0), LrSchedule.constant(0.01), 8, 6).withCheckpoints(3, 1);
    RunConfig c = RunConfig.of(ModelSpec.cnn(Activation.RELU, new int[] {1, 8, 8}, new int[] {4}, 8, 3), "cross_entropy", DType.F32, 3, st);
    TrainResult r = Trainer.train(c, DataSource.of(d), TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    double first = (r.record().loss(0) + r.record().loss(1) + r.record().loss(2)) / 3;
    double last = (r.record().loss(15) + r.record().loss(16) + r.record().loss(17)) / 3;
    assertTrue(last < first, "loss " + first + " -> " + last);
    assertEquals(List.of("0.weight", "0.bias", "4.weight", "4.bias", "6.weight", "6.bias"), new ArrayList<>(r.finalParameters().keySet()));
    Trajectory t = r.trajectory();
    Snapshot s7 = t.at(7);
    assertEquals(7.0, s7.optimizerState().get("step").item());
    assertTrue(s7.bitEquals(t.fork().at(7)));
  }
}
