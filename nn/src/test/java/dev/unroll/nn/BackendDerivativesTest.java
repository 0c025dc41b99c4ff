package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.opencl.TestBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model's second-order and per-example derivatives computed on each backend (the CPU SIMD kernels;
 * every OpenCL device), with the model's parameters and inputs moved there by {@link Module#to}:
 * <ul>
 *   <li>Hessian-vector products of the mean loss of an MLP (cross-entropy on class labels, and
 *       squared error) against the scalar CPU oracle (relative 1e-12 in float64) and against
 *       central differences of gradients computed on the same backend (relative 1e-6, step 1e-5);</li>
 *   <li>per-example gradients (outer-product identity) against single-example backward passes on
 *       the scalar CPU oracle: 1e-12 in float64, 2e-6 in float32, relative to the largest entry
 *       (observed: a few 1e-16 and under 1e-7).</li>
 * </ul>
 */
class BackendDerivativesTest {
  static Stream<Arguments> backendsAndLosses() {
    List<Arguments> out = new ArrayList<>();
    TestBackends.names().forEach(b -> {
      out.add(Arguments.of(b, "cross_entropy"));
      out.add(Arguments.of(b, "mse"));
    });
    return out.stream();
  }

  static Stream<Arguments> backendsAndTypes() {
    List<Arguments> out = new ArrayList<>();
    TestBackends.names().forEach(b -> {
      out.add(Arguments.of(b, DType.F64));
      out.add(Arguments.of(b, DType.F32));
    });
    return out.stream();
  }

  record Problem(Module model, Tensor x, Targets y, Loss loss) {}

  static Problem problem(String loss, DType t) {
    Mlp m = Mlp.of(t, new Rng(11), Activation.TANH, 4, 6, 5, 3);
    Tensor x = Tensor.randn(new Rng(12), t, 7, 4);
    if (loss.equals("mse")) return new Problem(m, x, new Targets.Regression(Tensor.randn(new Rng(13), t, 7, 3)), new MseLoss());
    return new Problem(m, x, new Targets.Classes(new int[] {0, 2, 1, 1, 0, 2, 2}, 3), new CrossEntropyLoss());
  }

  static Tensor onto(Tensor t, Backend b) {
    try (var s = GradMode.off()) {
      return b.isCpu() ? t : t.detach().to(b);
    }
  }

  /** ∇f at the given leaves (which must require grad). */
  static List<Tensor> gradient(Problem p, List<Tensor> leaves, Tensor x) {
    Tensor f = p.model.withParameters(leaves, () -> p.loss.mean(p.model.forward(x), p.y));
    return Autograd.grad(f, leaves);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("backendsAndLosses")
  void hessianVectorProductsAgreeWithTheCpuAndWithDifferences(String backend, String loss) {
    Backend b = TestBackends.backend(backend);
    if (!TestBackends.float64(backend)) return;
    Rng rng = new Rng(21);
    // The oracle: the same problem on the scalar CPU backend.
    double[] want = Backends.withCpu(Backends.SCALAR, () -> {
      Problem p = problem(loss, DType.F64);
      List<Tensor> v = directions(p.model, new Rng(21));
      List<Tensor> ps = p.model.parameterValues();
      Tensor f = p.loss.mean(p.model.forward(p.x), p.y);
      return flat(Derivatives.hvp(f, ps, v));
    });

    Problem p = problem(loss, DType.F64);
    List<Tensor> v = new ArrayList<>();
    for (Tensor t : directions(p.model, rng)) v.add(onto(t, b));
    p.model.to(b);
    Tensor x = onto(p.x, b);
    List<Tensor> ps = p.model.parameterValues();
    for (Tensor t : ps) assertEquals(b.isCpu(), t.backend().isCpu(), "Module.to moved the parameters");
    Tensor f = p.loss.mean(p.model.forward(x), p.y);
    List<Tensor> hv = Derivatives.hvp(f, ps, v);
    for (Tensor t : hv) assertEquals(b.isCpu(), t.backend().isCpu(), "the HVP stays on the backend");
    double[] got = flat(hv);
    assertClose(want, got, 1e-12, backend + " HVP vs the scalar CPU");

    // Central differences of gradients along v, on the same backend.
    double eps = 1e-5;
    List<Tensor> plus = new ArrayList<>(), minus = new ArrayList<>();
    try (var s = GradMode.off()) {
      for (int i = 0; i < ps.size(); i++) {
        plus.add(ps.get(i).detach().add(v.get(i).mul(eps)).detach().requiresGrad(true));
        minus.add(ps.get(i).detach().sub(v.get(i).mul(eps)).detach().requiresGrad(true));
      }
    }
    double[] gp = flat(gradient(p, plus, x)), gm = flat(gradient(p, minus, x));
    double[] fd = new double[gp.length];
    for (int i = 0; i < fd.length; i++) fd[i] = (gp[i] - gm[i]) / (2 * eps);
    assertClose(fd, got, 1e-6, backend + " HVP vs central differences");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("backendsAndTypes")
  void perExampleGradientsAgreeWithSingleExamplePassesOnTheCpu(String backend, DType t) {
    Backend b = TestBackends.backend(backend);
    if (t == DType.F64 && !TestBackends.float64(backend)) return;
    double tol = t == DType.F64 ? 1e-12 : 2e-6;
    for (String loss : List.of("cross_entropy", "mse")) {
      List<double[]> want = Backends.withCpu(Backends.SCALAR, () -> {
        Problem p = problem(loss, t);
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < p.x.dim(0); i++) {
          int[] row = {i};
          Tensor f = p.loss.mean(p.model.forward(Ops.indexSelect(p.x, 0, row)), p.y.select(row));
          rows.add(flat(Autograd.grad(f, p.model.parameterValues())));
        }
        return rows;
      });
      Problem p = problem(loss, t);
      p.model.to(b);
      List<Tensor> per = PerExampleGradients.compute(p.model, onto(p.x, b), p.y, p.loss);
      for (int i = 0; i < want.size(); i++) {
        List<Tensor> row = new ArrayList<>();
        for (Tensor g : per) {
          assertEquals(b.isCpu(), g.backend().isCpu(), "per-example gradients stay on the backend");
          row.add(g.slice(0, i, i + 1));
        }
        assertClose(want.get(i), flat(row), tol, backend + " " + t + " " + loss + ", example " + i);
      }
    }
  }

  static List<Tensor> directions(Module m, Rng rng) {
    List<Tensor> out = new ArrayList<>();
    for (Parameter p : m.parameters()) out.add(Tensor.randn(rng, p.dtype(), p.shape()));
    return out;
  }

  static double[] flat(List<Tensor> ts) {
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

  static void assertClose(double[] want, double[] got, double tol, String what) {
    assertEquals(want.length, got.length, what);
    double scale = 0, worst = 0;
    for (double v : want) scale = Math.max(scale, Math.abs(v));
    for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]) / Math.max(scale, 1e-300));
    assertTrue(worst <= tol, what + ": relative difference " + worst + " > " + tol);
  }
}
