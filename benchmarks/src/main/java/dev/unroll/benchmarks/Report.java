package dev.unroll.benchmarks;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark table and its JSON form: per figure the median time, the spread (interquartile
 * range relative to the median) and the number of samples; for work of known size the rate, and
 * for GEMM its ratio to the floating-point peak measured by {@link PeakBench} in the same run, at
 * the same element type and thread count. The measured peak is the rate of the fastest peak
 * sample: preemption on a shared machine only slows samples down, so the fastest is the one
 * closest to what the cores can do.
 */
final class Report {
  private final Machine machine;
  private final List<Figure> figures;
  private final List<String> failures;
  private final List<String> absent;

  Report(Machine machine, List<Figure> figures, List<String> failures, List<String> absent) {
    this.machine = machine;
    this.figures = figures;
    this.failures = failures;
    this.absent = absent;
  }

  /** The measured peak in GFLOP/s for an element type and thread count, NaN when not measured in this run. */
  double measuredPeak(boolean float64, int threads) {
    for (Figure f : figures) {
      if (!f.benchmark().equals("PeakBench.fma")) continue;
      if (isFloat64(f.params()) == float64 && threads(f.params()) == threads) return f.flop() / (f.minMs() * 1e6);
    }
    return Double.NaN;
  }

  static boolean isFloat64(Map<String, String> params) {
    String d = params.getOrDefault("dtype", params.getOrDefault("type", "float32")).toLowerCase();
    return d.contains("64") || d.equals("double");
  }

  static int threads(Map<String, String> params) {
    try {
      return Integer.parseInt(params.getOrDefault("threads", "1"));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /** GFLOP/s of a figure over the measured peak of its type and thread count; NaN when either is unknown or the figure is the peak itself. */
  double peakFraction(Figure f) {
    if (Double.isNaN(f.flop()) || f.benchmark().startsWith("PeakBench.")) return Double.NaN;
    return f.gflops() / measuredPeak(isFloat64(f.params()), threads(f.params()));
  }

  void print(PrintStream out) {
    out.println();
    out.printf("Machine: %s, %d cores, %s, clock %s MHz as reported.%n", machine.model(), machine.cores(), machine.vectorExtensions(),
        Double.isNaN(machine.mhz()) ? "unknown" : String.format("%.0f", machine.mhz()));
    out.printf("Nominal peak at that clock (2 FMA pipes): %.1f GFLOP/s float32, %.1f float64 per core.%n",
        machine.nominalGflops(false, 1), machine.nominalGflops(true, 1));
    StringBuilder measured = new StringBuilder();
    for (boolean f64 : new boolean[] {false, true}) {
      for (int t = 1; t <= machine.cores(); t++) {
        double p = measuredPeak(f64, t);
        if (!Double.isNaN(p)) measured.append(String.format("%s%s %d thread%s %.1f", measured.isEmpty() ? "" : ", ", f64 ? "float64" : "float32", t, t == 1 ? "" : "s", p));
      }
    }
    if (!measured.isEmpty()) out.println("Measured peak in this run (GFLOP/s, fastest PeakBench sample): " + measured + ".");
    out.println();
    int w = 24;
    for (Figure f : figures) w = Math.max(w, f.key().length());
    String fmt = "%-" + w + "s %12s %8s %7s %9s %7s%n";
    out.printf(fmt, "figure", "median", "IQR", "samples", "GFLOP/s", "% peak");
    out.println("-".repeat(w + 50));
    for (Figure f : figures) {
      double frac = peakFraction(f);
      out.printf(fmt, f.key(), time(f.medianMs()), String.format("%.1f%%", 100 * f.relativeSpread()), f.samples(),
          Double.isNaN(f.flop()) ? "" : String.format("%.1f", f.gflops()),
          Double.isNaN(frac) ? "" : String.format("%.0f%%", 100 * frac));
    }
    if (!absent.isEmpty()) out.println("\nNot in this build: " + String.join("; ", absent) + ".");
    if (!failures.isEmpty()) {
      out.println("\nFAILED:");
      for (String s : failures) out.println("  " + s.replace("\n", "\n    "));
    }
  }

  /** A time in milliseconds with a unit that keeps three or four significant digits. */
  static String time(double ms) {
    if (ms >= 1000) return String.format("%.3f s", ms / 1000);
    if (ms >= 1) return String.format("%.3f ms", ms);
    if (ms >= 1e-3) return String.format("%.3f us", ms * 1e3);
    return String.format("%.1f ns", ms * 1e6);
  }

  Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("machine", machine.toJson());
    Map<String, Object> peak = new LinkedHashMap<>();
    for (boolean f64 : new boolean[] {false, true}) {
      String t = f64 ? "float64" : "float32";
      for (int th = 1; th <= machine.cores(); th++) {
        peak.put(t + "_threads" + th + "_measured_gflops", measuredPeak(f64, th));
        peak.put(t + "_threads" + th + "_nominal_gflops", machine.nominalGflops(f64, th));
      }
    }
    m.put("peak", peak);
    List<Map<String, Object>> rows = new java.util.ArrayList<>();
    for (Figure f : figures) {
      Map<String, Object> r = f.toJson();
      double frac = peakFraction(f);
      if (!Double.isNaN(frac)) r.put("fraction_of_measured_peak", frac);
      rows.add(r);
    }
    m.put("figures", rows);
    m.put("absent", absent);
    m.put("failures", failures);
    return m;
  }
}
