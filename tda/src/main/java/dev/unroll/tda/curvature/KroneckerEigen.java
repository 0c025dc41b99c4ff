package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;

/**
 * One layer's curvature in Kronecker-factored eigenbasis form (K-FAC / EK-FAC): G ≈ (Q_S ⊗ Q_A)
 * diag(Λ) (Q_S ⊗ Q_A)ᵀ acting on layer-shaped matrices V [d_out × d_in] (d_in includes the bias
 * column). A spectral function is applied as φ(G)V = Q_S [φ(Λ) ⊙ (Q_Sᵀ V Q_A)] Q_Aᵀ. For K-FAC,
 * Λ[i, j] = λ_S[i]·λ_A[j]; for EK-FAC, Λ holds the eigenvalue correction (per-example squared
 * gradient coordinates in the Kronecker eigenbasis, averaged).
 *
 * @param qS Q_S [d_out, d_out] float64, eigenvectors in columns
 * @param qA Q_A [d_in, d_in] float64, eigenvectors in columns
 * @param lambda Λ [d_out, d_in] float64
 */
public record KroneckerEigen(Tensor qS, Tensor qA, Tensor lambda) {
  public KroneckerEigen {
    int dout = qS.dim(0), din = qA.dim(0);
    if (lambda.dim(0) != dout || lambda.dim(1) != din) {
      throw new IllegalArgumentException("eigenvalues " + java.util.Arrays.toString(lambda.shape()) + " do not match factors [" + dout + ", " + din + "]");
    }
  }

  public int outDim() {
    return qS.dim(0);
  }

  public int inDim() {
    return qA.dim(0);
  }

  /** Q_Sᵀ V Q_A for V [..., d_out, d_in] (batched over leading axes). */
  public Tensor rotate(Tensor v) {
    try (var s = GradMode.off()) {
      return qS.t().matmul(v.to(DType.F64)).matmul(qA);
    }
  }

  /** Q_S C Q_Aᵀ: back from eigen-coordinates. */
  public Tensor unrotate(Tensor c) {
    try (var s = GradMode.off()) {
      return qS.matmul(c).matmul(qA.t());
    }
  }

  /** φ(G)V for V [..., d_out, d_in]. */
  public Tensor apply(SpectralFunction phi, Tensor v) {
    return unrotate(rotate(v).mul(map(phi)));
  }

  /** φ(Λ) entrywise, [d_out, d_in]. */
  public Tensor map(SpectralFunction phi) {
    double[] l = lambda.toDoubleArray();
    for (int i = 0; i < l.length; i++) l[i] = phi.at(l[i]);
    return Tensor.of(l, lambda.shape());
  }

  public double meanEigenvalue() {
    double[] l = lambda.toDoubleArray();
    double s = 0;
    for (double x : l) s += x;
    return s / l.length;
  }

  /** K-FAC: Λ = λ_S λ_Aᵀ from the two factors' eigendecompositions. */
  public static KroneckerEigen kfac(SymmetricEigen s, SymmetricEigen a) {
    double[] l = new double[s.size() * a.size()];
    for (int i = 0; i < s.size(); i++) for (int j = 0; j < a.size(); j++) l[i * a.size() + j] = s.values()[i] * a.values()[j];
    return new KroneckerEigen(matrix(s.q()), matrix(a.q()), Tensor.of(l, s.size(), a.size()));
  }

  /** A row-major double[][] as a float64 tensor. */
  public static Tensor matrix(double[][] m) {
    int r = m.length, c = m[0].length;
    double[] flat = new double[r * c];
    for (int i = 0; i < r; i++) System.arraycopy(m[i], 0, flat, i * c, c);
    return Tensor.of(flat, r, c);
  }
}
