package dev.unroll.benchmarks;

import java.util.Map;
import java.util.function.Supplier;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Warm-up calls of a single-shot benchmark's method in its set-up, before JMH's own warm-up
 * iterations: calls until {@link #MAX_CALLS} or {@link #MAX_MILLIS} (whichever comes first). A
 * single-shot fork counts warm-up in calls, and methods that run a few times per call (once per
 * batch or per layer block, as in EK-FAC's fit and scoring) reach the optimising compiler only after
 * tens of calls: timed call by call on Concrete (2026-11-24), EK-FAC scoring kept getting faster
 * until about the fiftieth call and the fit until about the ninetieth, while a training run, whose
 * step methods run hundreds of times per call, was steady from the twentieth. Bounding by time keeps
 * long methods (SOURCE on FashionMNIST-N, seconds per call) to a call or two. The same rule for
 * every single-shot method, so that ratios between them (EK-FAC against a training run) compare
 * steady states.
 */
final class JitWarmup {
  private JitWarmup() {}

  static final int MAX_CALLS = 120;
  static final long MAX_MILLIS = 6_000;

  /** Calls the method JMH is about to measure (by its name in {@code methods}), as described above. */
  static void run(BenchmarkParams params, Map<String, Supplier<?>> methods, Blackhole bh) {
    String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    Supplier<?> m = methods.get(name);
    if (m == null) throw new IllegalStateException("no warm-up for benchmark method " + name + "; known: " + methods.keySet());
    run(() -> bh.consume(m.get()));
  }

  /** Calls {@code method} until {@link #MAX_CALLS} calls or {@link #MAX_MILLIS} have passed. */
  static void run(Runnable method) {
    long end = System.nanoTime() + MAX_MILLIS * 1_000_000;
    for (int i = 0; i < MAX_CALLS && System.nanoTime() < end; i++) method.run();
  }
}
