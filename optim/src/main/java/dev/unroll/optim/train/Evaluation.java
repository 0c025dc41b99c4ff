package dev.unroll.optim.train;

import dev.unroll.nn.Module;

/**
 * A measurement of a trained model, computed in the thread that trained it (so that many runs
 * trained in parallel are also measured in parallel), e.g. f(z_q, θ_T) for every query of an
 * attribution experiment. Must not modify the model.
 */
@FunctionalInterface
public interface Evaluation {
  double[] evaluate(Module model, RunConfig config);
}
