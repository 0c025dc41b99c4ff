package dev.unroll.tda.curvature;

/** A symmetric linear map v ↦ Gv on flat float64 vectors, given only by its action (e.g. an HVP). */
public interface LinearOperator {
  int dim();

  double[] apply(double[] v);

  /**
   * G·vᵢ for every row vᵢ of {@code vs}. Operators that sweep the training set override it to take
   * every vector along in one sweep (products of the batch with all of them at once) instead of one
   * sweep per vector; the results equal {@link #apply}'s up to rounding.
   */
  default double[][] applyAll(double[][] vs) {
    double[][] out = new double[vs.length][];
    for (int i = 0; i < vs.length; i++) out[i] = apply(vs[i]);
    return out;
  }

  /** G + λI. */
  default LinearOperator damped(double lambda) {
    LinearOperator g = this;
    return new LinearOperator() {
      public int dim() {
        return g.dim();
      }

      public double[] apply(double[] v) {
        double[] out = g.apply(v);
        for (int i = 0; i < out.length; i++) out[i] += lambda * v[i];
        return out;
      }

      public double[][] applyAll(double[][] vs) {
        double[][] out = g.applyAll(vs);
        for (int k = 0; k < vs.length; k++) for (int i = 0; i < out[k].length; i++) out[k][i] += lambda * vs[k][i];
        return out;
      }
    };
  }

  /** The operator of an explicit symmetric matrix. */
  static LinearOperator dense(double[][] g) {
    return new LinearOperator() {
      public int dim() {
        return g.length;
      }

      public double[] apply(double[] v) {
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) {
          double s = 0;
          for (int j = 0; j < v.length; j++) s += g[i][j] * v[j];
          out[i] = s;
        }
        return out;
      }
    };
  }
}
