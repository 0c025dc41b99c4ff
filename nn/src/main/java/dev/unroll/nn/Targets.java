package dev.unroll.nn;

import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * What a model is trained to predict for each example: real-valued targets (regression) or class
 * labels (classification). Row i belongs to example i of the data set that holds it.
 */
public sealed interface Targets {
  /** Number of examples. */
  int size();

  /** The targets of rows {@code rows}, in that order. */
  Targets select(int[] rows);

  /** Regression targets, a tensor [N, d] (d outputs per example). */
  record Regression(Tensor values) implements Targets {
    public Regression {
      if (values.rank() != 2) {
        throw new IllegalArgumentException("regression targets must be [N, d], got " + Arrays.toString(values.shape()));
      }
    }

    @Override
    public int size() {
      return values.dim(0);
    }

    @Override
    public Targets select(int[] rows) {
      try (var s = GradMode.off()) {
        return new Regression(Ops.indexSelect(values.detach(), 0, rows).contiguous());
      }
    }
  }

  /** Class labels in [0, numClasses). */
  record Classes(int[] labels, int numClasses) implements Targets {
    public Classes {
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= numClasses) {
          throw new IllegalArgumentException("label " + labels[i] + " of row " + i + " is outside [0, " + numClasses + ")");
        }
      }
    }

    @Override
    public int size() {
      return labels.length;
    }

    @Override
    public Targets select(int[] rows) {
      int[] out = new int[rows.length];
      for (int i = 0; i < rows.length; i++) out[i] = labels[rows[i]];
      return new Classes(out, numClasses);
    }
  }
}
