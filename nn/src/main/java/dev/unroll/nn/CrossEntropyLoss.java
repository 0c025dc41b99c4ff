package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Rng;
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

  /** y ~ Categorical(softmax(f(x))) per row, by inverting the cumulative probabilities at a uniform draw. */
  @Override
  public Targets sample(Tensor output, Rng rng) {
    if (output.rank() != 2) throw new IllegalArgumentException("CrossEntropyLoss.sample: logits of shape " + Arrays.toString(output.shape()) + ", expected [B, C]");
    int b = output.dim(0), k = output.dim(1);
    double[] p;
    try (var s = GradMode.off()) {
      p = output.detach().to(DType.F64).softmax(1).toDoubleArray();
    }
    int[] labels = new int[b];
    for (int i = 0; i < b; i++) {
      double u = rng.uniform(), acc = 0;
      int c = k - 1;
      for (int j = 0; j < k; j++) {
        acc += p[i * k + j];
        if (u < acc) {
          c = j;
          break;
        }
      }
      labels[i] = c;
    }
    return new Targets.Classes(labels, k);
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
