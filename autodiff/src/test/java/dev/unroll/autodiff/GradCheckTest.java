package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every op of the table, on each CPU backend: gradients, the duality identity and second order, in float64. */
class GradCheckTest {
  static final double TOLERANCE = 1e-6;
  static final Map<Op, OpCases.Case> CASES = OpCases.all();

  @ParameterizedTest
  @EnumSource(Op.class)
  void simdBackend(Op op) {
    check(op, Backends.SIMD);
  }

  @ParameterizedTest
  @EnumSource(Op.class)
  void scalarBackend(Op op) {
    check(op, Backends.SCALAR);
  }

  private static void check(Op op, Backend backend) {
    OpCases.Case c = CASES.get(op);
    assertTrue(c != null, "op " + op + " has no gradient-check case in OpCases");
    GradCheck.Result r = Backends.withCpu(backend, () -> GradCheck.check(c.fn(), c.inputs(), op.ordinal()));
    assertTrue(r.gradError() <= TOLERANCE, op + ": gradient vs finite differences, relative error " + r.gradError());
    assertTrue(r.dualityError() <= TOLERANCE, op + ": <u, J^T w> vs <J u, w>, relative error " + r.dualityError());
    assertTrue(r.hvpError() <= TOLERANCE, op + ": Hessian-vector product vs differences of gradients, relative error " + r.hvpError());
  }
}
