package dev.unroll.tda.source;

import dev.unroll.autodiff.Tensor;
import java.util.List;

/**
 * One parameter state that SOURCE (or TracIn) evaluates curvature and training gradients at.
 *
 * @param step the global step of the state (θ after {@code step} updates), or −1 for parameters
 *     averaged over a segment (Fast-Source)
 * @param parameters the values in {@link dev.unroll.nn.Module#parameters()} order
 * @param preconditioner for Adam-type optimizers the diagonal preconditioner P = 1/(√v̂ + ε) at this
 *     state, one tensor per parameter of the parameter's shape; null for SGD
 * @param stepLr η of the update that produced this state (step − 1), NaN where there is none (TracIn's
 *     per-checkpoint weight)
 */
public record SourceCheckpoint(int step, List<Tensor> parameters, List<Tensor> preconditioner, double stepLr) {
  public SourceCheckpoint {
    if (parameters == null || parameters.isEmpty()) throw new IllegalArgumentException("checkpoint of step " + step + " has no parameter values");
    parameters = List.copyOf(parameters);
    if (preconditioner != null) {
      if (preconditioner.size() != parameters.size()) {
        throw new IllegalArgumentException("checkpoint of step " + step + ": " + preconditioner.size() + " preconditioner tensors for " + parameters.size() + " parameters");
      }
      for (int i = 0; i < parameters.size(); i++) {
        if (!java.util.Arrays.equals(preconditioner.get(i).shape(), parameters.get(i).shape())) {
          throw new IllegalArgumentException("checkpoint of step " + step + ": preconditioner " + i + " has shape " + java.util.Arrays.toString(preconditioner.get(i).shape())
              + ", parameter " + java.util.Arrays.toString(parameters.get(i).shape()));
        }
      }
      preconditioner = List.copyOf(preconditioner);
    }
  }

  /** A plain (SGD) checkpoint. */
  public static SourceCheckpoint of(int step, List<Tensor> parameters, double stepLr) {
    return new SourceCheckpoint(step, parameters, null, stepLr);
  }
}
