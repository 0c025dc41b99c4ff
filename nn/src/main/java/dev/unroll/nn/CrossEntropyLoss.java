package dev.unroll.nn;

import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * Softmax cross-entropy on logits [B, C]: L(z, θ) = −log softmax(f(x))_y = logsumexp(f(x)) − f(x)_y,
 * with {@link Targets.Classes} labels.
 */
public final class CrossEntropyLoss implements Loss {
  @Override
  public Tensor perExample(Tensor output, Targets y) {
    Targets.Classes c = Labels.of("CrossEntropyLoss", output, y);
    return Ops.crossEntropy(output, c.labels());
  }

  @Override
  public String toString() {
    return "CrossEntropyLoss";
  }

  /** Checks logits [B, C] against class targets. */
  static final class Labels {
    private Labels() {}

    static Targets.Classes of(String who, Tensor logits, Targets y) {
      if (!(y instanceof Targets.Classes c)) {
        throw new IllegalArgumentException(who + " needs class targets, got " + y.getClass().getSimpleName());
      }
      if (logits.rank() != 2 || logits.dim(0) != c.size() || logits.dim(1) != c.numClasses()) {
        throw new IllegalArgumentException(who + ": logits of shape " + Arrays.toString(logits.shape()) + ", expected [" + c.size() + ", " + c.numClasses() + "] for " + c.size() + " labels of " + c.numClasses() + " classes");
      }
      return c;
    }
  }
}
