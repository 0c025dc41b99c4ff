package dev.unroll.tda.curvature;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Loss;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import java.util.ArrayList;
import java.util.List;

/**
 * The output-space cotangents w whose back-propagations u = Jᵀw make up a {@link FisherType}: the
 * curvature is (1/N)·Σᵢ Σ_c uᵢ_c uᵢ_cᵀ, so Σ_c wᵢ_c wᵢ_cᵀ is what stands in for the loss's Hessian
 * ∇²_f L(zᵢ) in output space:
 * <ul>
 *   <li>{@link FisherType#EMPIRICAL}: w = ∂L/∂f at the true targets (any loss, by autodiff);</li>
 *   <li>{@link FisherType#SAMPLED}: w = ∂L/∂f at targets ŷ drawn from the model, scaled by
 *       1/√samples: squared error Σⱼ(fⱼ − yⱼ)² with ŷ = f + ε, ε ~ N(0, ½·I), so w = −2ε and
 *       E[wwᵀ] = 2I = ∇²_f L; cross-entropy with ŷ ~ softmax(f), so w = p − e_ŷ and
 *       E[wwᵀ] = diag(p) − ppᵀ = ∇²_f L;</li>
 *   <li>{@link FisherType#EXPECTED}: an exact factorisation of ∇²_f L, √2·e_c (squared error) and
 *       √p_c·(e_c − p) (cross-entropy), one cotangent per output.</li>
 * </ul>
 * Example i's draws come from an Rng seeded by (seed, i), i its index in the training set, so they
 * do not depend on batching.
 */
public final class OutputDirections {
  private OutputDirections() {}

  /**
   * The cotangents for a batch: each a tensor shaped like {@code output} (detached), one per
   * direction (1 for EMPIRICAL, {@code samples} for SAMPLED, the number of outputs for EXPECTED).
   *
   * @param rows the training-set indices of the batch's examples (seeds of the label draws)
   */
  public static List<Tensor> of(Loss loss, FitOptions options, Tensor output, Targets y, int[] rows) {
    if (rows.length != output.dim(0)) throw new IllegalArgumentException("output directions: " + rows.length + " row indices for a batch of " + output.dim(0));
    return switch (options.fisher()) {
      case EMPIRICAL -> List.of(empirical(loss, output, y));
      case SAMPLED -> sampled(loss, options, output, rows);
      case EXPECTED -> expected(loss, output);
    };
  }

  /** ∂(Σᵢ Lᵢ)/∂f at the given targets, shaped like the output. */
  public static Tensor empirical(Loss loss, Tensor output, Targets y) {
    Tensor f = output.detach().requiresGrad(true);
    return Autograd.grad(List.of(loss.sum(f, y)), null, List.of(f), false, false, true).get(0).detach();
  }

  private static List<Tensor> sampled(Loss loss, FitOptions o, Tensor output, int[] rows) {
    int b = output.dim(0), d = output.numel() / Math.max(1, b);
    double[] f = output.detach().toDoubleArray();
    double scale = 1 / Math.sqrt(o.samples());
    List<double[]> ws = new ArrayList<>();
    for (int s = 0; s < o.samples(); s++) ws.add(new double[f.length]);
    if (loss instanceof MseLoss) {
      for (int i = 0; i < b; i++) {
        Rng r = exampleRng(o.seed(), rows[i]);
        for (int s = 0; s < o.samples(); s++) {
          double[] w = ws.get(s);
          // ŷ = f + √½·z; w = ∂/∂f Σ(f − ŷ)² = −2√½·z = −√2·z.
          for (int j = 0; j < d; j++) w[i * d + j] = -Math.sqrt(2) * r.normal() * scale;
        }
      }
    } else if (loss instanceof CrossEntropyLoss) {
      checkLogits(output);
      double[] p = softmax(f, b, d);
      for (int i = 0; i < b; i++) {
        Rng r = exampleRng(o.seed(), rows[i]);
        for (int s = 0; s < o.samples(); s++) {
          int label = categorical(p, i * d, d, r.uniform());
          double[] w = ws.get(s);
          for (int j = 0; j < d; j++) w[i * d + j] = (p[i * d + j] - (j == label ? 1 : 0)) * scale;
        }
      }
    } else {
      throw unsupported(loss, FisherType.SAMPLED);
    }
    List<Tensor> out = new ArrayList<>();
    for (double[] w : ws) out.add(Tensor.of(output.dtype(), w, output.shape()));
    return out;
  }

  private static List<Tensor> expected(Loss loss, Tensor output) {
    int b = output.dim(0), d = output.numel() / Math.max(1, b);
    List<Tensor> out = new ArrayList<>();
    if (loss instanceof MseLoss) {
      for (int c = 0; c < d; c++) {
        double[] w = new double[b * d];
        for (int i = 0; i < b; i++) w[i * d + c] = Math.sqrt(2);
        out.add(Tensor.of(output.dtype(), w, output.shape()));
      }
    } else if (loss instanceof CrossEntropyLoss) {
      checkLogits(output);
      double[] p = softmax(output.detach().toDoubleArray(), b, d);
      for (int c = 0; c < d; c++) {
        double[] w = new double[b * d];
        for (int i = 0; i < b; i++) {
          double sq = Math.sqrt(p[i * d + c]);
          for (int j = 0; j < d; j++) w[i * d + j] = sq * ((j == c ? 1 : 0) - p[i * d + j]);
        }
        out.add(Tensor.of(output.dtype(), w, output.shape()));
      }
    } else {
      throw unsupported(loss, FisherType.EXPECTED);
    }
    return out;
  }

  /** The Rng of example {@code row}'s label draws: a function of (seed, row) only. */
  public static Rng exampleRng(long seed, int row) {
    return new Rng(seed * 0x9E3779B97F4A7C15L + 0xBF58476D1CE4E5B9L * (row + 1L));
  }

  private static int categorical(double[] p, int off, int d, double u) {
    double c = 0;
    for (int j = 0; j < d; j++) {
      c += p[off + j];
      if (u < c) return j;
    }
    return d - 1;
  }

  static double[] softmax(double[] f, int b, int d) {
    double[] p = new double[f.length];
    for (int i = 0; i < b; i++) {
      double m = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < d; j++) m = Math.max(m, f[i * d + j]);
      double z = 0;
      for (int j = 0; j < d; j++) z += p[i * d + j] = Math.exp(f[i * d + j] - m);
      for (int j = 0; j < d; j++) p[i * d + j] /= z;
    }
    return p;
  }

  private static void checkLogits(Tensor output) {
    if (output.rank() != 2) throw new IllegalArgumentException("cross-entropy Fisher needs logits [B, C], got shape " + java.util.Arrays.toString(output.shape()));
  }

  private static IllegalArgumentException unsupported(Loss loss, FisherType t) {
    return new IllegalArgumentException("the " + t.name().toLowerCase() + " Fisher is defined for MseLoss and CrossEntropyLoss; the loss is " + loss
        + " (use FisherType.EMPIRICAL, which works for any loss)");
  }
}
