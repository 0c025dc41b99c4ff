package dev.unroll.optim;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * A first-order optimizer in two equivalent forms.
 * <ul>
 *   <li>{@link #step}: updates the parameters' values and this optimizer's own state in place,
 *       without recording a graph (training).</li>
 *   <li>{@link #update}: the same transition (θ, state) ↦ (θ', state') as a pure function written
 *       with tensor ops, which records a graph when grad mode is on, so that the tda module can
 *       differentiate through the optimizer's full state (parameters and velocity / moments).</li>
 * </ul>
 * The two agree bit for bit (the in-place kernels perform the same IEEE operations in the same
 * order as the tensor ops). State is a map from names to tensors: "step" (a float64 scalar counting
 * the steps taken), and per parameter "momentum.NAME" (SGD), "adam.m.NAME" and "adam.v.NAME"
 * (Adam, AdamW), NAME being the parameter's dotted name; it is saved with {@link #state()} and
 * restored with {@link #loadState}, after which training continues bit-identically.
 */
public interface Optimizer {
  /** The state key counting steps taken. */
  String STEP = "step";

  /** One step with learning rate lr: θ ← θ'(θ, state, g), state ← state'(...), in place. */
  void step(List<Parameter> params, List<Tensor> grads, double lr);

  /**
   * The transition of one step as tensors: new parameter values and new state, from parameter
   * values, a state (as from {@link #initialState} or {@link #state()}) and gradients, all in the
   * same order as {@code names}. Inputs are not modified. Differentiable in params, grads and the
   * state's tensors (the step count is a constant).
   */
  Update update(List<String> names, List<Tensor> params, Map<String, Tensor> state, List<Tensor> grads, double lr);

  /** The state before the first step: zero buffers shaped like the parameters and step = 0. */
  Map<String, Tensor> initialState(List<String> names, List<Tensor> params);

  /** A deep copy of the current state (empty before the first step or load). */
  Map<String, Tensor> state();

  /** Replaces the state by a deep copy of {@code state}. */
  void loadState(Map<String, Tensor> state);

  /** The hyperparameters as a plain, serialisable description. */
  OptimizerSpec spec();

  /** The result of {@link #update}. */
  record Update(List<Tensor> params, Map<String, Tensor> state) {}
}
