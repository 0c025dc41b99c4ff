package dev.unroll.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradCheck;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.ParameterVector;
import dev.unroll.nn.Targets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The in-place step and the functional update agree bit for bit, on a small network trained for a
 * few steps; the functional update is differentiable (finite differences in float64); saving and
 * restoring the state continues training bit-identically.
 */
class FunctionalUpdateTest {
  static Stream<Arguments> optimizers() {
    return Stream.of(
        Arguments.of(OptimizerSpec.sgd(0, 0, false)),
        Arguments.of(OptimizerSpec.sgd(0.9, 1e-3, false)),
        Arguments.of(OptimizerSpec.sgd(0.9, 1e-3, true)),
        Arguments.of(OptimizerSpec.adam(0.9, 0.999, 1e-8, 1e-2)),
        Arguments.of(OptimizerSpec.adamW(0.9, 0.99, 1e-6, 0.1)));
  }

  record Problem(Mlp model, Tensor x, Targets y) {
    static Problem of(DType dtype) {
      Mlp m = Mlp.of(dtype, new Rng(1), Activation.TANH, 3, 6, 2);
      return new Problem(m, Tensor.randn(new Rng(2), dtype, 8, 3), new Targets.Regression(Tensor.randn(new Rng(3), dtype, 8, 2)));
    }

    List<Tensor> grads() {
      model.zeroGrad();
      new MseLoss().mean(model.forward(x), y).backward();
      return model.parameters().stream().map(Parameter::grad).toList();
    }
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  void inPlaceEqualsFunctionalBitForBit(OptimizerSpec spec) {
    for (DType dtype : new DType[] {DType.F64, DType.F32}) {
      Problem pr = Problem.of(dtype);
      List<Parameter> ps = pr.model().parameters();
      List<String> names = ps.stream().map(Parameter::name).toList();
      Optimizer opt = spec.create();
      Map<String, Tensor> fState = opt.initialState(names, pr.model().parameterValues());
      for (int k = 0; k < 5; k++) {
        List<Tensor> g = pr.grads();
        double lr = 0.05 * (k + 1);
        Optimizer.Update u;
        try (var off = GradMode.off()) {
          u = opt.update(names, pr.model().parameterValues(), fState, g, lr);
        }
        opt.step(ps, g, lr);
        for (int i = 0; i < ps.size(); i++) {
          assertArrayEquals(u.params().get(i).toDoubleArray(), ps.get(i).value().toDoubleArray(), 0, spec + " " + dtype + " step " + k + " " + names.get(i));
        }
        Map<String, Tensor> s = opt.state();
        assertEquals(u.state().keySet(), s.keySet());
        for (String key : s.keySet()) assertArrayEquals(u.state().get(key).toDoubleArray(), s.get(key).toDoubleArray(), 0, key);
        fState = u.state();
      }
      assertEquals(5.0, opt.state().get(Optimizer.STEP).item(), 0);
    }
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  void saveAndRestoreContinuesBitIdentically(OptimizerSpec spec) {
    Problem straight = Problem.of(DType.F32);
    Optimizer o1 = spec.create();
    for (int k = 0; k < 6; k++) o1.step(straight.model().parameters(), straight.grads(), 0.03);

    Problem first = Problem.of(DType.F32);
    Optimizer o2 = spec.create();
    for (int k = 0; k < 3; k++) o2.step(first.model().parameters(), first.grads(), 0.03);
    Map<String, Tensor> weights = first.model().stateDict(), state = o2.state();

    Problem resumed = Problem.of(DType.F32);
    Mlp fresh = Mlp.of(DType.F32, new Rng(1234), Activation.TANH, 3, 6, 2);
    fresh.loadStateDict(weights);
    Problem cont = new Problem(fresh, resumed.x(), resumed.y());
    Optimizer o3 = o2.spec().create();
    o3.loadState(state);
    for (int k = 0; k < 3; k++) o3.step(cont.model().parameters(), cont.grads(), 0.03);

    assertArrayEquals(ParameterVector.of(straight.model()).flatten(DType.F32).toFloatArray(), ParameterVector.of(fresh).flatten(DType.F32).toFloatArray());
    Map<String, Tensor> a = o1.state(), b = o3.state();
    assertEquals(a.keySet(), b.keySet());
    for (String key : a.keySet()) assertArrayEquals(a.get(key).toFloatArray(), b.get(key).toFloatArray(), key);
  }

  @ParameterizedTest
  @MethodSource("optimizers")
  void functionalUpdateIsDifferentiable(OptimizerSpec spec) {
    Optimizer opt = spec.create();
    Rng rng = new Rng(5);
    int n = 4;
    Tensor p = Tensor.randn(rng, DType.F64, n), g = Tensor.randn(rng, DType.F64, n);
    // A state after a few steps, so that Adam's second moment is positive (√v is smooth there).
    // Gradients of scale 10 keep v ≈ 0.1 or more: with β₂ = 0.999 and unit gradients v would be
    // ≈ 0.003, and the finite-difference steps would no longer be small relative to it.
    Map<String, Tensor> s0 = opt.initialState(List.of("w"), List.of(p));
    for (int k = 0; k < 3; k++) s0 = opt.update(List.of("w"), List.of(p), s0, List.of(Tensor.randn(rng, DType.F64, n).mul(10)), 0.1).state();
    Map<String, Tensor> state = s0;
    List<String> keys = new ArrayList<>(state.keySet());
    keys.remove(Optimizer.STEP);
    List<Tensor> inputs = new ArrayList<>(List.of(p, g));
    for (String k : keys) inputs.add(state.get(k));
    Function<List<Tensor>, Tensor> fn = xs -> {
      Map<String, Tensor> st = new java.util.LinkedHashMap<>(state);
      for (int i = 0; i < keys.size(); i++) st.put(keys.get(i), xs.get(2 + i));
      Optimizer.Update u = opt.update(List.of("w"), List.of(xs.get(0)), st, List.of(xs.get(1)), 0.1);
      List<Tensor> outs = new ArrayList<>(u.params());
      for (String k : keys) outs.add(u.state().get(k));
      return ParameterVector.concat(outs);
    };
    GradCheck.Result r = GradCheck.check(fn, inputs, 6);
    assertTrue(r.max() < 1e-6, spec + ": " + r);
  }

  @Test
  void viewsGoThroughTheFunctionalPathWithTheSameResult() {
    double[] big = new double[10];
    Rng rng = new Rng(8);
    for (int i = 0; i < big.length; i++) big[i] = rng.normal();
    Tensor view;
    try (var off = GradMode.off()) {
      view = Tensor.of(big.clone(), 10).slice(0, 3, 7);
    }
    Parameter a = new Parameter("w", view);
    Parameter b = new Parameter("w", Tensor.of(view.toDoubleArray(), 4));
    Adam oa = new Adam(), ob = new Adam();
    for (int k = 0; k < 3; k++) {
      Tensor g = Tensor.randn(rng, DType.F64, 4);
      oa.step(List.of(a), List.of(g), 0.1);
      ob.step(List.of(b), List.of(g), 0.1);
    }
    assertArrayEquals(b.value().toDoubleArray(), a.value().toDoubleArray(), 0);
  }
}
