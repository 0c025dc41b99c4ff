package dev.unroll.autodiff.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradCheck;
import dev.unroll.autodiff.Op;
import dev.unroll.autodiff.OpCases;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of the table ({@link OpCases}) with all its kernels on each OpenCL device: the gradient
 * checks of {@link GradCheck} (first derivatives against finite differences, the duality identity,
 * Hessian-vector products against differences of gradients), and agreement with the scalar CPU
 * backend of the value, the gradient and a Hessian-vector product — to 1e-12 in float64 and 1e-5 in
 * float32, relative to the largest magnitude of each result.
 */
class ClGradCheckTest {
  static final double GRADCHECK_TOLERANCE = 1e-6;
  static final double F64_AGREEMENT = 1e-12;
  static final double F32_AGREEMENT = 1e-5;
  static final Map<Op, OpCases.Case> CASES = OpCases.all();

  static Stream<Arguments> devicesAndOps() {
    return ClTestDevices.indices().flatMap(i -> Stream.of(Op.values()).map(op -> Arguments.of(i, op)));
  }

  @ParameterizedTest
  @MethodSource("devicesAndOps")
  void gradientChecksPassOnTheDevice(Integer device, Op op) {
    ClBackend cl = ClTestDevices.backend(device);
    OpCases.Case c = CASES.get(op);
    assertTrue(c != null, "op " + op + " has no gradient-check case in OpCases");
    GradCheck.Result r = GradCheck.check(OpenCl.onBackend(cl, c.fn()), c.inputs(), op.ordinal());
    assertTrue(r.gradError() <= GRADCHECK_TOLERANCE, op + " on " + cl.name() + ": gradient vs finite differences, relative error " + r.gradError());
    assertTrue(r.dualityError() <= GRADCHECK_TOLERANCE, op + " on " + cl.name() + ": <u, J^T w> vs <J u, w>, relative error " + r.dualityError());
    assertTrue(r.hvpError() <= GRADCHECK_TOLERANCE, op + " on " + cl.name() + ": HVP vs differences of gradients, relative error " + r.hvpError());
  }

  @ParameterizedTest
  @MethodSource("devicesAndOps")
  void valueGradientAndHvpAgreeWithTheCpuInFloat64(Integer device, Op op) {
    ClBackend cl = ClTestDevices.backend(device);
    agree(cl, op, DType.F64, F64_AGREEMENT);
  }

  @ParameterizedTest
  @MethodSource("devicesAndOps")
  void valueGradientAndHvpAgreeWithTheCpuInFloat32(Integer device, Op op) {
    ClBackend cl = ClTestDevices.backend(device);
    agree(cl, op, DType.F32, F32_AGREEMENT);
  }

  private static void agree(ClBackend cl, Op op, DType t, double tolerance) {
    OpCases.Case c = CASES.get(op);
    List<double[]> cpu = Backends.withCpu(Backends.SCALAR, () -> derivatives(c, t, null, op.ordinal()));
    List<double[]> dev = derivatives(c, t, cl, op.ordinal());
    String[] what = {"value", "gradient", "Hessian-vector product"};
    for (int i = 0; i < cpu.size(); i++) {
      double err = relativeError(cpu.get(i), dev.get(i));
      assertTrue(err <= tolerance, op + " " + t + " on " + cl.name() + ": " + what[Math.min(i, 2)] + " differs from the CPU by " + err + " (relative), tolerance " + tolerance);
    }
  }

  /**
   * For the case's function F at its inputs (converted to t): F(x), ∇⟨w, F⟩ and the HVP of ⟨w, F⟩
   * along u, for fixed random w and u; all kernels on {@code device} when it is given.
   */
  static List<double[]> derivatives(OpCases.Case c, DType t, Backend device, long seed) {
    Rng rng = new Rng(seed);
    List<Tensor> xs = new ArrayList<>();
    for (Tensor x : c.inputs()) xs.add(Tensor.of(t, x.toDoubleArray(), x.shape()).requiresGrad(true));
    Function<List<Tensor>, Tensor> f = device == null ? c.fn() : OpenCl.onBackend(device, c.fn());
    Tensor y = f.apply(xs);
    Tensor w = Tensor.randn(rng, y.dtype(), y.shape());
    List<Tensor> u = new ArrayList<>();
    for (Tensor x : xs) u.add(Tensor.randn(rng, t, x.shape()));
    Tensor loss = Derivatives.dot(List.of(y), List.of(w));
    List<Tensor> g = Autograd.grad(List.of(loss), null, xs, true, true, true);
    List<Tensor> h = Derivatives.hvpFromGradient(g, xs, u, false);
    List<double[]> out = new ArrayList<>();
    out.add(y.toDoubleArray());
    out.add(flatten(g));
    out.add(flatten(h));
    return out;
  }

  private static double[] flatten(List<Tensor> ts) {
    int n = 0;
    for (Tensor t : ts) n += t.numel();
    double[] out = new double[n];
    int at = 0;
    for (Tensor t : ts) {
      double[] v = t.toDoubleArray();
      System.arraycopy(v, 0, out, at, v.length);
      at += v.length;
    }
    return out;
  }

  /** max|a − b| / max(max|a|, max|b|, 1e-30). */
  static double relativeError(double[] a, double[] b) {
    assertEquals(a.length, b.length, "result sizes differ");
    double diff = 0, scale = 1e-30;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.max(Math.abs(a[i]), Math.abs(b[i])));
    }
    return diff / scale;
  }
}
