package dev.unroll.benchmarks;

import java.util.Map;

/** Floating-point operations per benchmark operation, for the benchmarks whose work is a known count. */
final class Flop {
  private Flop() {}

  /**
   * The flop count of one operation of {@code benchmark} ("Class.method") with {@code params}, NaN
   * when unknown: {@link PeakBench#flop} for the peak probe; 2·m·n·k for a GEMM benchmark (a class
   * named *Gemm*) from parameters m, n, k, from a square size s (2·s³), or from a shape "MxKxN"
   * (optionally ":TN"/":NT") or "sqS" as {@link GemmBench} names them.
   */
  static double of(String benchmark, Map<String, String> params) {
    try {
      if (benchmark.startsWith("PeakBench.")) return PeakBench.flop(params.get("dtype"), Integer.parseInt(params.get("threads")));
      if (benchmark.contains("Gemm")) {
        if (params.containsKey("m") && params.containsKey("n") && params.containsKey("k")) {
          return 2.0 * Long.parseLong(params.get("m")) * Long.parseLong(params.get("n")) * Long.parseLong(params.get("k"));
        }
        String shape = params.get("shape");
        if (shape != null) {
          String dims = shape.split(":")[0];
          if (dims.startsWith("sq")) {
            double s = Long.parseLong(dims.substring(2));
            return 2 * s * s * s;
          }
          String[] x = dims.split("x");
          if (x.length == 3) return 2.0 * Long.parseLong(x[0]) * Long.parseLong(x[1]) * Long.parseLong(x[2]);
        }
        if (params.containsKey("size")) {
          double s = Long.parseLong(params.get("size"));
          return 2 * s * s * s;
        }
      }
    } catch (RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
