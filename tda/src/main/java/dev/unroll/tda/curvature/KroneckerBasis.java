package dev.unroll.tda.curvature;

import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.grad.GradientLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kronecker eigenbases of every block: A = Q_A diag(λ_A) Q_Aᵀ and S = Q_S diag(λ_S) Q_Sᵀ in
 * float64 (method.md §3, step 2). From here, K-FAC takes Λ = R·λ_S λ_Aᵀ ({@link #kfac}) and EK-FAC
 * replaces Λ by the eigenvalue correction ({@link #withEigenvalues}).
 */
public final class KroneckerBasis {
  private final GradientLayout layout;
  private final List<SymmetricEigen> a, s;
  private final List<Tensor> qA, qS;
  private final double[] rowsPerExample;
  private final Map<String, String> settings;

  public KroneckerBasis(GradientLayout layout, List<SymmetricEigen> a, List<SymmetricEigen> s, double[] rowsPerExample, Map<String, String> settings) {
    if (a.size() != layout.numBlocks() || s.size() != layout.numBlocks()) throw new IllegalArgumentException("eigenbases for " + a.size() + "/" + s.size() + " blocks, the layout has " + layout.numBlocks());
    this.layout = layout;
    this.a = List.copyOf(a);
    this.s = List.copyOf(s);
    this.rowsPerExample = rowsPerExample.clone();
    this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    qA = new ArrayList<>();
    qS = new ArrayList<>();
    for (int b = 0; b < layout.numBlocks(); b++) {
      GradientLayout.Block bl = layout.block(b);
      if (a.get(b).size() != bl.in() || s.get(b).size() != bl.out()) {
        throw new IllegalArgumentException("block " + bl.name() + " is [" + bl.out() + " x " + bl.in() + "], eigenbases of sizes S " + s.get(b).size() + " and A " + a.get(b).size());
      }
      qA.add(KroneckerEigen.matrix(a.get(b).q()));
      qS.add(KroneckerEigen.matrix(s.get(b).q()));
    }
  }

  static KroneckerBasis of(KroneckerFactors f) {
    int nb = f.layout().numBlocks();
    // The 2·blocks decompositions are independent and a fifth to a half of an EK-FAC fit on Concrete
    // (JFR, 2026-11-24): they run on the pool's threads, largest first so that the threads finish together.
    // Each is single-threaded, so the result does not depend on the thread count.
    Tensor[] factors = new Tensor[2 * nb];
    for (int b = 0; b < nb; b++) {
      factors[2 * b] = f.a().get(b);
      factors[2 * b + 1] = f.s().get(b);
    }
    Integer[] order = new Integer[2 * nb];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (x, y) -> Integer.compare(factors[y].dim(0), factors[x].dim(0)));
    SymmetricEigen[] eig = new SymmetricEigen[2 * nb];
    Parallel.forChunks(order.length, c -> eig[order[c]] = SymmetricEigen.of(square(factors[order[c]])));
    List<SymmetricEigen> a = new ArrayList<>(), s = new ArrayList<>();
    for (int b = 0; b < nb; b++) {
      a.add(eig[2 * b]);
      s.add(eig[2 * b + 1]);
    }
    return new KroneckerBasis(f.layout(), a, s, f.rowsPerExample(), f.settings());
  }

  static double[][] square(Tensor t) {
    int n = t.dim(0);
    double[] v = t.toDoubleArray();
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) System.arraycopy(v, i * n, m[i], 0, n);
    return m;
  }

  public GradientLayout layout() { return layout; }

  /** Block b's eigendecomposition of A. */
  public SymmetricEigen a(int b) { return a.get(b); }

  /** Block b's eigendecomposition of S. */
  public SymmetricEigen s(int b) { return s.get(b); }

  /** Q_A of block b, [in, in] float64. */
  public Tensor qA(int b) { return qA.get(b); }

  /** Q_S of block b, [out, out] float64. */
  public Tensor qS(int b) { return qS.get(b); }

  public double rowsPerExample(int b) { return rowsPerExample[b]; }

  public Map<String, String> settings() { return settings; }

  /**
   * K-FAC: Λ[i, j] = R·λ_S[i]·λ_A[j]. With both factors averaged per row, R·(A ⊗ S) approximates
   * the curvature of a layer whose per-example gradient sums R rows (it is A ⊗ S for a Linear layer
   * on [N, in]).
   */
  public KroneckerCurvature kfac() {
    List<KroneckerEigen> layers = new ArrayList<>();
    for (int b = 0; b < layout.numBlocks(); b++) {
      KroneckerEigen k = KroneckerEigen.kfac(s.get(b), a.get(b));
      layers.add(new KroneckerEigen(qS.get(b), qA.get(b), k.lambda().mul(rowsPerExample[b])));
    }
    Map<String, String> st = new LinkedHashMap<>(settings);
    st.put("curvature", "kfac");
    return new KroneckerCurvature(layout, layers, "kfac", st);
  }

  /** EK-FAC: these bases with eigenvalues Λ [out, in] per block (from {@link Ekfac#correction}). */
  public KroneckerCurvature withEigenvalues(List<Tensor> lambda, Map<String, String> extraSettings) {
    if (lambda.size() != layout.numBlocks()) throw new IllegalArgumentException(lambda.size() + " eigenvalue matrices for " + layout.numBlocks() + " blocks");
    List<KroneckerEigen> layers = new ArrayList<>();
    for (int b = 0; b < layout.numBlocks(); b++) layers.add(new KroneckerEigen(qS.get(b), qA.get(b), lambda.get(b)));
    Map<String, String> st = new LinkedHashMap<>(settings);
    st.putAll(extraSettings);
    st.put("curvature", "ekfac");
    return new KroneckerCurvature(layout, layers, "ekfac", st);
  }
}
