package dev.unroll.optim;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A learning-rate schedule as a plain description: a type, named numeric parameters (kept sorted
 * by name, so that the description serialises the same way every time) and, for a wrapper, the
 * schedule it wraps. {@link #lr(int, int)} gives η_k for step k = 0, 1, ..., totalSteps − 1:
 * <ul>
 *   <li>"constant" {lr}: η_k = lr;</li>
 *   <li>"step" {lr, gamma, every}: η_k = lr·gamma^⌊k/every⌋;</li>
 *   <li>"cosine" {lr, floor}: η_k = floor + (lr − floor)·(1 + cos(π·k/T))/2, from lr at k = 0
 *       towards floor at k = T (totalSteps);</li>
 *   <li>"warmup" {steps} wrapping a schedule s: η_k = s(k)·(k + 1)/steps for k &lt; steps, then s(k):
 *       a linear ramp whose last warm-up step reaches the full rate;</li>
 *   <li>"triangular" {start, peak, end, peakAt}: piecewise linear through (0, start),
 *       (peakAt·T, peak) and (T, end) (one cycle up then down; peakAt in [0, 1]).</li>
 * </ul>
 */
public record LrSchedule(String type, SortedMap<String, Double> params, LrSchedule inner) {
  private static final Map<String, List<String>> KEYS = Map.of(
      "constant", List.of("lr"),
      "step", List.of("every", "gamma", "lr"),
      "cosine", List.of("floor", "lr"),
      "warmup", List.of("steps"),
      "triangular", List.of("end", "peak", "peakAt", "start"));

  public LrSchedule {
    List<String> keys = KEYS.get(type);
    if (keys == null) throw new IllegalArgumentException("unknown learning-rate schedule '" + type + "' (known: " + new TreeMap<>(KEYS).keySet() + ")");
    TreeMap<String, Double> copy = new TreeMap<>(params);
    if (!copy.keySet().equals(Set.copyOf(keys))) throw new IllegalArgumentException("schedule '" + type + "' takes parameters " + keys + ", got " + copy.keySet());
    for (Map.Entry<String, Double> e : copy.entrySet()) {
      if (e.getValue() == null || !Double.isFinite(e.getValue())) throw new IllegalArgumentException("schedule '" + type + "': parameter " + e.getKey() + " = " + e.getValue() + " is not finite");
    }
    params = Collections.unmodifiableSortedMap(copy);
    if (type.equals("warmup") != (inner != null)) throw new IllegalArgumentException(type.equals("warmup") ? "a warm-up schedule needs a schedule to wrap" : "schedule '" + type + "' wraps no other schedule");
    switch (type) {
      case "step" -> {
        double every = params.get("every");
        if (every < 1 || every != Math.rint(every)) throw new IllegalArgumentException("step schedule: 'every' must be a positive integer, got " + every);
      }
      case "warmup" -> {
        double s = params.get("steps");
        if (s < 1 || s != Math.rint(s)) throw new IllegalArgumentException("warm-up: 'steps' must be a positive integer, got " + s);
      }
      case "triangular" -> {
        double p = params.get("peakAt");
        if (p < 0 || p > 1) throw new IllegalArgumentException("triangular schedule: 'peakAt' must be in [0, 1], got " + p);
      }
      default -> { }
    }
  }

  public static LrSchedule constant(double lr) {
    return new LrSchedule("constant", map("lr", lr), null);
  }

  /** lr·gamma^⌊k/every⌋. */
  public static LrSchedule step(double lr, double gamma, int every) {
    return new LrSchedule("step", map("lr", lr, "gamma", gamma, "every", every), null);
  }

  /** Cosine annealing from lr to floor over the run. */
  public static LrSchedule cosine(double lr, double floor) {
    return new LrSchedule("cosine", map("lr", lr, "floor", floor), null);
  }

  /** {@code inner} scaled by a linear ramp over the first {@code steps} steps. */
  public static LrSchedule warmup(int steps, LrSchedule inner) {
    return new LrSchedule("warmup", map("steps", steps), inner);
  }

  /** Linear from start up to peak at fraction peakAt of the run, then linearly to end. */
  public static LrSchedule triangular(double start, double peak, double end, double peakAt) {
    return new LrSchedule("triangular", map("start", start, "peak", peak, "end", end, "peakAt", peakAt), null);
  }

  /** η_k for step k (0-based) of a run of totalSteps steps. */
  public double lr(int step, int totalSteps) {
    if (step < 0 || totalSteps <= 0) throw new IllegalArgumentException("lr(step=" + step + ", totalSteps=" + totalSteps + "): need step ≥ 0 and totalSteps > 0");
    return switch (type) {
      case "constant" -> params.get("lr");
      case "step" -> params.get("lr") * Math.pow(params.get("gamma"), Math.floorDiv(step, (long) (double) params.get("every")));
      case "cosine" -> {
        double lr = params.get("lr"), floor = params.get("floor");
        double frac = Math.min(step, totalSteps) / (double) totalSteps;
        yield floor + (lr - floor) * (1 + Math.cos(Math.PI * frac)) / 2;
      }
      case "warmup" -> {
        double w = params.get("steps");
        double base = inner.lr(step, totalSteps);
        yield step < w ? base * (step + 1) / w : base;
      }
      case "triangular" -> {
        double start = params.get("start"), peak = params.get("peak"), end = params.get("end");
        double at = params.get("peakAt") * totalSteps;
        double k = Math.min(step, totalSteps);
        if (k < at) yield start + (peak - start) * (k / at);
        double rest = totalSteps - at;
        yield rest == 0 ? peak : peak + (end - peak) * ((k - at) / rest);
      }
      default -> throw new IllegalStateException(type);
    };
  }

  private static SortedMap<String, Double> map(Object... kv) {
    TreeMap<String, Double> m = new TreeMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
    return m;
  }

  @Override
  public String toString() {
    return type + params + (inner == null ? "" : " of " + inner);
  }
}
