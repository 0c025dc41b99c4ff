package dev.unroll.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.opencl.ClDevice;
import dev.unroll.autodiff.opencl.TestBackends;
import dev.unroll.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The in-place optimizer step on an OpenCL device (one fused kernel per parameter, state on the
 * device) against the CPU's allocation-free kernels, from the same parameters, gradients and
 * learning rates: four steps, with the state saved after the second and loaded into a fresh
 * optimizer (as a resumed run does: the CPU snapshot moves to the device at the next step).
 * The kernels perform the same IEEE operations in the same order, so the results agree bit for bit;
 * only Adam in float32 on a device without correctly rounded float division and square root is
 * allowed 1e-6 relative error.
 */
class DeviceOptimizerTest {
  record Case(String name, Supplier<Optimizer> make) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Case> OPTIMIZERS = List.of(
      new Case("sgd", Sgd::new),
      new Case("sgd-momentum-decay", () -> new Sgd(0.9, 1e-3, false)),
      new Case("sgd-nesterov", () -> new Sgd(0.8, 0, true)),
      new Case("adam-l2", () -> new Adam(0.9, 0.999, 1e-8, 1e-2)),
      new Case("adamw", () -> new AdamW(0.9, 0.99, 1e-6, 5e-2)));

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String dev : TestBackends.openClNames()) {
      for (DType t : DType.values()) for (Case c : OPTIMIZERS) out.add(Arguments.of(dev, t, c));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void deviceStepsEqualCpuSteps(String device, DType dtype, Case c) {
    Backend cl = TestBackends.backend(device);
    if (dtype == DType.F64 && !TestBackends.float64(device)) return;
    Rng rng = new Rng(7);
    List<Tensor> init = List.of(Tensor.randn(rng, dtype, 5, 7), Tensor.randn(rng, dtype, 7));
    List<List<Tensor>> grads = new ArrayList<>();
    for (int k = 0; k < 4; k++) grads.add(List.of(Tensor.randn(rng, dtype, 5, 7), Tensor.randn(rng, dtype, 7)));
    double[] lrs = {0.1, 0.05, 0.07, 0.02};

    Result cpu = run(c, init, grads, lrs, null);
    Result dev = run(c, init, grads, lrs, cl);
    ClDevice d = TestBackends.device(device);
    boolean exact = dtype == DType.F64 || c.name.startsWith("sgd") || d.correctlyRoundedDivSqrt();
    for (int i = 0; i < cpu.params.size(); i++) close(cpu.params.get(i), dev.params.get(i), exact, c + " parameter " + i);
    assertEquals(cpu.state.keySet(), dev.state.keySet());
    for (String k : cpu.state.keySet()) {
      assertTrue(dev.state.get(k).backend().isCpu(), "state() must return CPU copies");
      close(cpu.state.get(k).toDoubleArray(), dev.state.get(k).toDoubleArray(), exact, c + " state " + k);
    }
  }

  record Result(List<double[]> params, Map<String, Tensor> state) {}

  /** Four steps; after the second the state goes through state() / loadState() into a new optimizer. */
  static Result run(Case c, List<Tensor> init, List<List<Tensor>> grads, double[] lrs, Backend device) {
    List<Parameter> ps = new ArrayList<>();
    for (int i = 0; i < init.size(); i++) {
      Tensor v = copy(init.get(i));
      ps.add(new Parameter("p" + i, device == null ? v : v.to(device)));
    }
    Optimizer opt = c.make.get();
    for (int k = 0; k < grads.size(); k++) {
      if (k == 2) {
        Map<String, Tensor> s = opt.state();
        opt = c.make.get();
        opt.loadState(s);
      }
      List<Tensor> g = new ArrayList<>();
      for (Tensor t : grads.get(k)) g.add(device == null ? t : t.to(device));
      opt.step(ps, g, lrs[k]);
      if (device != null) for (Parameter p : ps) assertFalse(p.value().backend().isCpu(), "the parameter left the device");
    }
    List<double[]> out = new ArrayList<>();
    for (Parameter p : ps) out.add(p.value().toDoubleArray());
    return new Result(out, opt.state());
  }

  static Tensor copy(Tensor t) {
    return Tensor.of(t.dtype(), t.toDoubleArray(), t.shape());
  }

  static void close(double[] want, double[] got, boolean exact, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      if (exact) {
        assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(got[i]), () -> what + ": not bit-identical, " + java.util.Arrays.toString(want) + " vs " + java.util.Arrays.toString(got));
      } else {
        assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])), what);
      }
    }
  }
}
