package dev.unroll.benchmarks;

import java.util.Map;
import java.util.function.Supplier;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Warm-up calls of a single-shot benchmark's method in its set-up, before JMH's own warm-up
 * iterations: calls until {@link #MAX_CALLS} or {@link #MAX_MILLIS} (whichever comes first). A
 * single-shot fork counts warm-up in calls, and a few calls of a 30–60 ms method leave the JIT
 * short of its steady state (EK-FAC on Concrete, measured 2026-11-24: about 35–45 ms per call over
 * the first twenty calls, 20–30 ms from the fortieth on); bounding by time keeps long methods (SOURCE
 * on FashionMNIST-N, seconds per call) to a call or two. The same rule for every single-shot method,
 * so that ratios between them (EK-FAC against a training run) compare steady states.
 */
final class JitWarmup {
  private JitWarmup() {}

  static final int MAX_CALLS = 40;
  static final long MAX_MILLIS = 4_000;

  /** Calls the method JMH is about to measure (by its name in {@code methods}), as described above. */
  static void run(BenchmarkParams params, Map<String, Supplier<?>> methods, Blackhole bh) {
    String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    Supplier<?> m = methods.get(name);
    if (m == null) throw new IllegalStateException("no warm-up for benchmark method " + name + "; known: " + methods.keySet());
    long end = System.nanoTime() + MAX_MILLIS * 1_000_000;
    for (int i = 0; i < MAX_CALLS && System.nanoTime() < end; i++) bh.consume(m.get());
  }
}
