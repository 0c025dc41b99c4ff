package dev.unroll.optim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.opencl.TestBackends;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Parameter;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training on each backend (the CPU SIMD kernels; every OpenCL device) against the same run on the
 * scalar CPU oracle: an MLP 3-6-5-1 (tanh) trained with SGD + momentum 0.9 and weight decay, then a
 * second stage with per-example weights and Nesterov momentum, 23 steps in all. Losses of every
 * step and the final parameters agree within 1e-12 (float64) and 5e-6 (float32), relative to the
 * largest magnitude: the backends sum reductions in different orders, so they differ in the last
 * bits, and those differences grow only mildly over a few steps.
 */
class BackendTrainingTest {
  static final double F64_TOLERANCE = 1e-12;
  static final double F32_TOLERANCE = 5e-6;

  static Stream<Arguments> backendsAndTypes() {
    List<Arguments> out = new ArrayList<>();
    TestBackends.names().forEach(b -> {
      out.add(Arguments.of(b, DType.F64));
      out.add(Arguments.of(b, DType.F32));
    });
    return out.stream();
  }

  static RunConfig config(DType dtype) {
    StageSpec a = new StageSpec("a", DataSpec.all("a"), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.05), 4, 3, false, 4, 2, null, null);
    double[] w = new double[10];
    for (int i = 0; i < w.length; i++) w[i] = 0.5 + 0.1 * i;
    StageSpec b = new StageSpec("b", DataSpec.all("b"), OptimizerSpec.sgd(0.5, 1e-2, true), LrSchedule.step(0.03, 0.5, 4), 3, 2, false, 2, 1, null, w);
    return RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 6, 5, 1), "mse", dtype, 5, List.of(a, b));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("backendsAndTypes")
  void trainingAgreesWithTheScalarCpuRun(String backend, DType dtype) {
    Backend device = TestBackends.backend(backend);
    if (dtype == DType.F64 && !TestBackends.float64(backend)) return;
    RunConfig c = config(dtype);
    DataSource src = Toy.twoStageData();
    TrainResult ref = Backends.withCpu(Backends.SCALAR, () -> Trainer.train(c, src, TrainOptions.inMemory().device(Backends.SCALAR)));
    TrainResult got = Trainer.train(c, src, TrainOptions.inMemory().device(device));
    double tol = dtype == DType.F64 ? F64_TOLERANCE : F32_TOLERANCE;
    close(ref.record().losses(), got.record().losses(), tol, backend + " losses");
    for (Parameter p : got.model().parameters()) assertTrue(p.value().backend().isCpu(), "the trained model is returned on the CPU");
    Map<String, Tensor> want = ref.finalParameters(), have = got.finalParameters();
    for (String k : want.keySet()) close(want.get(k).toDoubleArray(), have.get(k).toDoubleArray(), tol, backend + " " + k);
  }

  /**
   * A recorded run on a device, interrupted and resumed from its last checkpoint (parameters and
   * optimizer state reloaded from the CPU files), ends bit-identical to the uninterrupted device run:
   * the device kernels repeat exactly, and the state moves back onto the device.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.unroll.autodiff.opencl.TestBackends#openClNames")
  void aResumedDeviceRunEqualsTheUninterruptedOne(String backend, @TempDir Path tmp) throws Exception {
    Backend device = TestBackends.backend(backend);
    RunConfig c = config(DType.F32);
    DataSource src = Toy.twoStageData();
    TrainResult whole = Trainer.train(c, src, TrainOptions.inMemory().device(device));
    Path dir = tmp.resolve("run");
    Trainer.train(c, src, TrainOptions.recorded(dir).stopAfter(13).device(device));
    assertTrue(Files.readString(dir.resolve("manifest.json")).contains("opencl"), "the manifest names the device");
    TrainResult resumed = Trainer.train(c, src, TrainOptions.recorded(dir).resume(true).device(device));
    TrainerTest.assertBitEqual(whole.finalParameters(), resumed.finalParameters());
  }

  /** Steps between checkpoints of a device run, replayed (on the run's device), equal the steps the run took, bit for bit. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.unroll.autodiff.opencl.TestBackends#openClNames")
  void replayOfADeviceRunReproducesItsSteps(String backend) {
    Backend device = TestBackends.backend(backend);
    RunConfig c = config(DType.F32);
    DataSource src = Toy.twoStageData();
    TrainResult all = Trainer.train(c, src, TrainOptions.inMemory().keep(Keep.ALL_STEPS).device(device));
    TrainResult ckpt = Trainer.train(c, src, TrainOptions.inMemory().keep(Keep.CHECKPOINTS).device(device));
    Trajectory t = ckpt.trajectory();
    for (int k = all.record().totalSteps(); k >= 0; k -= 3) TrainerTest.assertBitEqual(all.snapshots().get(k).parameters(), t.at(k).parameters());
  }

  static void close(double[] want, double[] got, double tol, String what) {
    assertEquals(want.length, got.length, what);
    double scale = 0;
    for (double v : want) scale = Math.max(scale, Math.abs(v));
    double worst = 0;
    for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]) / Math.max(scale, 1e-300));
    assertTrue(worst <= tol, what + ": relative difference " + worst + " > " + tol);
  }
}
