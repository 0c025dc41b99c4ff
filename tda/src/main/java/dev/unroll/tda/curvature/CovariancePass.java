package dev.unroll.tda.curvature;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import java.util.List;

/**
 * Step 1 of a Kronecker fit at θ ({@link Ekfac#covariances}: the factors A and S) together with
 * what step 3 needs from the same pass over the training set. The eigenvalue correction
 * Λ = (1/N) Σₙ Σ_k (Q_Sᵀ Gₙ_k Q_A)² reads the same activation and gradient rows as the covariances,
 * only in the bases that their eigendecompositions give, so when the pass ran on the CPU and its
 * rows fit in {@link #keptBytes()} they are kept ({@link PassRows}) and {@link #correction} reads
 * them instead of passing the training set through the model a second time: the same rows, summed in
 * the same order, give the same bits. Otherwise the correction makes its own pass
 * ({@link Ekfac#correction(AttributionTask, List, KroneckerBasis, FitOptions)}).
 */
public final class CovariancePass {
  private final AttributionTask task;
  private final List<Tensor> params;
  private final FitOptions options;
  private final KroneckerFactors factors;
  private final List<PassRows> rows;

  CovariancePass(AttributionTask task, List<Tensor> params, FitOptions options, KroneckerFactors factors, List<PassRows> rows) {
    this.task = task;
    this.params = params;
    this.options = options;
    this.factors = factors;
    this.rows = rows == null || rows.isEmpty() ? null : List.copyOf(rows);
  }

  /**
   * The most bytes of rows a fit keeps: an eighth of the heap's limit. SOURCE holds a segment's
   * passes together and gives each an equal share: FashionMNIST-N's rows, 64 MB per pass, are kept
   * for two checkpoints per segment within a 2 GiB heap (1.9 GB usable with the parallel collector).
   */
  public static long keptBytes() {
    return Runtime.getRuntime().maxMemory() / 8;
  }

  /** A and S of every block. */
  public KroneckerFactors factors() {
    return factors;
  }

  /** Whether the pass's rows were kept for {@link #correction}. */
  public boolean keptRows() {
    return rows != null;
  }

  /** Step 3 at the same θ in {@code basis}: Λ per block [out, in] (from the kept rows, or from a fresh pass). */
  public List<Tensor> correction(KroneckerBasis basis) {
    if (rows == null) return Ekfac.correction(task, params, basis, options);
    return Ekfac.correction(rows, basis, options.examples(task.numTrain()));
  }
}
