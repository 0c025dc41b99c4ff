package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * A seeded random projection x ↦ xR from ℝᴾ to ℝᵏ (Johnson-Lindenstrauss), R [P, k] with
 * independent entries N(0, 1)/√k (Gaussian) or ±1/√k (Rademacher), so that E[R Rᵀ] = I and inner
 * products are preserved in expectation. R is never held whole unless it fits the cache budget: it
 * is generated in chunks of consecutive rows, chunk c from an Rng seeded by (seed, c), so every
 * entry is a fixed function of (seed, P, k) and chunks can be regenerated on demand.
 */
public final class RandomProjection {
  /** The entry distribution. */
  public enum Kind { GAUSSIAN, RADEMACHER }

  private final int in, out, chunkRows;
  private final Kind kind;
  private final long seed;
  private final DType dtype;
  private final Tensor[] cache;
  private final boolean cached;

  /**
   * @param cacheBytes keep the generated chunks when the whole R takes at most this many bytes
   *     (in {@code dtype}); otherwise regenerate them at every projection
   */
  public RandomProjection(int in, int out, Kind kind, long seed, DType dtype, long cacheBytes) {
    if (in <= 0 || out <= 0) throw new IllegalArgumentException("projection from " + in + " to " + out + " dimensions");
    this.in = in;
    this.out = out;
    this.kind = kind;
    this.seed = seed;
    this.dtype = dtype;
    // About 2^19 entries (4 MiB in float64) per chunk.
    this.chunkRows = Math.max(1, Math.min(in, (1 << 19) / out));
    int chunks = (in + chunkRows - 1) / chunkRows;
    this.cache = new Tensor[chunks];
    this.cached = (long) in * out * dtype.bytes <= cacheBytes;
  }

  public int inDim() { return in; }

  public int outDim() { return out; }

  /** Rows [c·chunkRows, min(P, (c+1)·chunkRows)) of R. */
  Tensor chunk(int c) {
    if (cached && cache[c] != null) return cache[c];
    int start = c * chunkRows, rows = Math.min(in, start + chunkRows) - start;
    Rng r = new Rng(seed * 0x9E3779B97F4A7C15L + 0xD1B54A32D192ED03L * (c + 1L));
    double scale = 1 / Math.sqrt(out);
    int len = rows * out;
    Tensor t;
    // The same draws in either dtype: entry i is a function of (seed, c, i) only.
    if (dtype == DType.F64) {
      double[] v = new double[len];
      if (kind == Kind.GAUSSIAN) {
        for (int i = 0; i < len; i++) v[i] = r.normal() * scale;
      } else {
        for (int i = 0; i < len; i += 64) {
          long bits = r.nextLong();
          for (int j = 0; j < 64 && i + j < len; j++) v[i + j] = ((bits >>> j) & 1) == 0 ? scale : -scale;
        }
      }
      t = Tensor.of(v, rows, out);
    } else {
      float[] v = new float[len];
      float fs = (float) scale;
      if (kind == Kind.GAUSSIAN) {
        for (int i = 0; i < len; i++) v[i] = (float) (r.normal() * scale);
      } else {
        for (int i = 0; i < len; i += 64) {
          long bits = r.nextLong();
          for (int j = 0; j < 64 && i + j < len; j++) v[i + j] = ((bits >>> j) & 1) == 0 ? fs : -fs;
        }
      }
      t = Tensor.of(v, rows, out);
    }
    if (cached) cache[c] = t;
    return t;
  }

  /** xR for every row of x [B, P], in x's dtype (which must be this projection's). */
  public Tensor project(Tensor x) {
    if (x.rank() != 2 || x.dim(1) != in) throw new IllegalArgumentException("projection of " + in + " dimensions applied to shape " + Arrays.toString(x.shape()));
    try (var s = GradMode.off()) {
      Tensor xx = x.detach().to(dtype);
      Tensor acc = null;
      for (int c = 0; c < cache.length; c++) {
        int start = c * chunkRows, end = Math.min(in, start + chunkRows);
        Tensor part = xx.slice(1, start, end).matmul(chunk(c));
        acc = acc == null ? part : acc.add(part);
      }
      return acc;
    }
  }

  public String describe() {
    return kind.name().toLowerCase() + "(P=" + in + ", k=" + out + ", seed=" + seed + ")";
  }
}
