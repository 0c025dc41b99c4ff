package dev.unroll.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * One line of the benchmark table: a benchmark with its parameters and the distribution of its
 * time per operation in milliseconds — the median, the quartiles, the first decile and the
 * extremes of the samples (single invocations in sample-time mode, iteration averages otherwise;
 * the first decile is what a run gets when the machine leaves it alone) — and, where the
 * benchmark's floating-point work is known ({@link Flop}), its rate.
 *
 * @param benchmark the benchmark class and method, "SgdStepBench.step"
 * @param params the parameters by name, sorted
 * @param mode the JMH mode it ran in
 * @param samples how many samples the distribution has
 * @param flop floating-point operations per operation, NaN when unknown
 */
public record Figure(String benchmark, Map<String, String> params, String mode, double medianMs,
    double p25Ms, double p75Ms, double p10Ms, double minMs, double maxMs, long samples, double flop) {

  /** "SgdStepBench.step mlp=8-128-128-1/32 threads=2": the key the PyTorch comparison matches on. */
  public String key() {
    StringBuilder b = new StringBuilder(benchmark);
    params.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    return b.toString();
  }

  /** The interquartile range relative to the median. */
  public double relativeSpread() {
    return (p75Ms - p25Ms) / medianMs;
  }

  /** GFLOP/s at the median time, NaN when the work is unknown. */
  public double gflops() {
    return flop / (medianMs * 1e6);
  }

  /** The figure of a JMH result. */
  public static Figure of(RunResult r) {
    var p = r.getParams();
    String name = shortName(p.getBenchmark());
    Map<String, String> params = new TreeMap<>();
    for (String k : p.getParamsKeys()) params.put(k, p.getParam(k));
    var primary = r.getPrimaryResult();
    return of(name, params, p.getMode().shortLabel(), primary.getStatistics(), primary.getScoreUnit());
  }

  /**
   * A benchmark's name without its package: "GemmBench.simd", "GemmBench.ScalarBaseline.scalar"
   * (the package is the components before the first capitalised one).
   */
  public static String shortName(String full) {
    String[] parts = full.split("\\.");
    for (int i = 0; i < parts.length; i++) {
      if (!parts[i].isEmpty() && Character.isUpperCase(parts[i].charAt(0))) return String.join(".", java.util.Arrays.copyOfRange(parts, i, parts.length));
    }
    return full;
  }

  /**
   * A figure from the samples {@code s} of a score in {@code unit}: a time per operation
   * ("ms/op", "us/op", ...) or a rate ("ops/s", ...), which is inverted so that the figure is
   * always a time. Quantiles of a rate map to the opposite quantiles of the time.
   */
  static Figure of(String benchmark, Map<String, String> params, String mode, Statistics s, String unit) {
    String[] parts = unit.split("/");
    if (parts.length != 2) throw new IllegalArgumentException("benchmark " + benchmark + ": score unit '" + unit + "' is neither time/op nor ops/time");
    double med = s.getPercentile(50), q1 = s.getPercentile(25), q3 = s.getPercentile(75), lo = s.getMin(), hi = s.getMax();
    double d1 = s.getPercentile(10), d9 = s.getPercentile(90);
    double ms;
    if (parts[1].equals("op")) {
      ms = msPer(parts[0], benchmark);
    } else if (parts[0].equals("ops")) {
      // A rate r ops per unit is a time of (unit in ms) / r per op.
      double per = msPer(parts[1], benchmark);
      return new Figure(benchmark, new TreeMap<>(params), mode, per / med, per / q3, per / q1, per / d9, per / hi, per / lo, s.getN(), Flop.of(benchmark, params));
    } else {
      throw new IllegalArgumentException("benchmark " + benchmark + ": score unit '" + unit + "' is neither time/op nor ops/time");
    }
    return new Figure(benchmark, new TreeMap<>(params), mode, med * ms, q1 * ms, q3 * ms, d1 * ms, lo * ms, hi * ms, s.getN(), Flop.of(benchmark, params));
  }

  /** Milliseconds in one JMH time unit label ("s", "ms", "us", "ns"). */
  private static double msPer(String label, String benchmark) {
    for (TimeUnit u : TimeUnit.values()) {
      if (label.equals(shortLabel(u))) return u.toNanos(1) / 1e6;
    }
    throw new IllegalArgumentException("benchmark " + benchmark + ": unknown time unit '" + label + "'");
  }

  private static String shortLabel(TimeUnit u) {
    return switch (u) {
      case NANOSECONDS -> "ns";
      case MICROSECONDS -> "us";
      case MILLISECONDS -> "ms";
      case SECONDS -> "s";
      case MINUTES -> "min";
      case HOURS -> "hr";
      case DAYS -> "day";
    };
  }

  /** The figure as a JSON-ready map. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", key());
    m.put("benchmark", benchmark);
    m.put("params", params);
    m.put("mode", mode);
    m.put("median_ms", medianMs);
    m.put("p25_ms", p25Ms);
    m.put("p75_ms", p75Ms);
    m.put("p10_ms", p10Ms);
    m.put("min_ms", minMs);
    m.put("max_ms", maxMs);
    m.put("samples", samples);
    if (!Double.isNaN(flop)) {
      m.put("flop", flop);
      m.put("gflops", gflops());
    }
    return m;
  }
}
