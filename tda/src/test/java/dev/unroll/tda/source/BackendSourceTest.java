package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.opencl.TestBackends;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerBasis;
import dev.unroll.tda.curvature.KroneckerFactors;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The EK-FAC fit and SOURCE scores of a tiny recorded run (two SGD stages, MLP 2-3-1, float64)
 * with every captured pass on each backend ({@link CapturedPass#onDevice}; the CPU SIMD kernels and
 * every OpenCL device) against the scalar CPU oracle: the factors A and S, the eigenvalue
 * correction, and SOURCE's pairwise and self-influence scores, within 1e-11 relative to the largest
 * magnitude (observed: about 1e-15) (the device sums in other orders; the eigendecompositions and segment algebra run on
 * the CPU in both). Also an Adam run, whose preconditioned correction takes its own path.
 */
class BackendSourceTest {
  static final double TOLERANCE = 1e-11;
  static final SourceOptions OPTIONS = SourceOptions.defaults().withCurvature(SourceOptions.Curvature.EKFAC)
      .withFit(FitOptions.of(FisherType.EMPIRICAL).withBatchSize(5)).withScore(new ScoreOptions(4, 2, 0));

  static Stream<Arguments> backends() {
    return TestBackends.names().map(Arguments::of);
  }

  static <T> T scalar(Supplier<T> body) {
    return Backends.withCpu(Backends.SCALAR, body);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void ekfacFactorsAndCorrectionAgreeWithTheCpu(String backend) {
    Backend b = TestBackends.backend(backend);
    Runs.Run run = Runs.twoStage(0.9);
    List<Tensor> params = run.inputs().finalParameters();
    Backend seen = CapturedPass.onDevice(b, () -> CapturedPass.run(run.task().model(), run.task().layout(), params, run.task().train().x(), CapturedPass::backend));
    assertTrue(b.isCpu() ? seen.isCpu() : seen == b, "the captured pass ran on " + seen.name() + ", not " + b.name());
    for (FitOptions fit : List.of(FitOptions.of(FisherType.EMPIRICAL).withBatchSize(4), FitOptions.defaults().withBatchSize(4).withSamples(2))) {
      KroneckerFactors want = scalar(() -> Ekfac.covariances(run.task(), params, fit));
      KroneckerFactors got = CapturedPass.onDevice(b, () -> Ekfac.covariances(run.task(), params, fit));
      for (int k = 0; k < want.a().size(); k++) {
        assertTrue(got.a().get(k).backend().isCpu() && got.s().get(k).backend().isCpu(), "factors are returned on the CPU");
        close(want.a().get(k).toDoubleArray(), got.a().get(k).toDoubleArray(), backend + " " + fit.fisher() + " A of block " + k);
        close(want.s().get(k).toDoubleArray(), got.s().get(k).toDoubleArray(), backend + " " + fit.fisher() + " S of block " + k);
      }
      KroneckerBasis basis = scalar(want::eigenbasis);
      List<Tensor> lw = scalar(() -> Ekfac.correction(run.task(), params, basis, fit));
      List<Tensor> lg = CapturedPass.onDevice(b, () -> Ekfac.correction(run.task(), params, basis, fit));
      for (int k = 0; k < lw.size(); k++) close(lw.get(k).toDoubleArray(), lg.get(k).toDoubleArray(), backend + " " + fit.fisher() + " eigenvalue correction of block " + k);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void sourceScoresAgreeWithTheCpu(String backend) {
    Backend b = TestBackends.backend(backend);
    for (Runs.Run run : List.of(Runs.twoStage(0.9), Runs.adam(false, 1e-2))) {
      SourceInputs in = run.inputs();
      double[][] want = scalar(() -> Source.pairwise(in, OPTIONS).values());
      double[][] got = CapturedPass.onDevice(b, () -> Source.pairwise(in, OPTIONS).values());
      assertEquals(want.length, got.length);
      for (int q = 0; q < want.length; q++) close(want[q], got[q], backend + " SOURCE pairwise, query " + q);
      double[] sw = scalar(() -> Source.selfInfluence(in, OPTIONS).selfValues());
      double[] sg = CapturedPass.onDevice(b, () -> Source.selfInfluence(in, OPTIONS).selfValues());
      close(sw, sg, backend + " SOURCE self-influence");
    }
  }

  static void close(double[] want, double[] got, String what) {
    assertEquals(want.length, got.length, what);
    double scale = 0, worst = 0;
    for (double v : want) scale = Math.max(scale, Math.abs(v));
    for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]) / Math.max(scale, 1e-300));
    assertTrue(worst <= TOLERANCE, what + ": relative difference " + worst + " > " + TOLERANCE);
  }

}
