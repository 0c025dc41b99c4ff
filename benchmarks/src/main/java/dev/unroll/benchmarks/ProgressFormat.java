package dev.unroll.benchmarks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

/**
 * JMH's output reduced to one line per finished benchmark configuration (its median), with the
 * failures kept: what a failed benchmark printed is collected for the report instead of scrolling by.
 */
final class ProgressFormat implements OutputFormat {
  private final PrintStream out;
  private final List<String> failures = new ArrayList<>();
  private StringBuilder failure;
  private String current;
  private long started;

  ProgressFormat(PrintStream out) {
    this.out = out;
  }

  /** The configurations that failed, each with the start of what JMH printed about it. */
  List<String> failures() {
    closeFailure();
    return failures;
  }

  private static String label(BenchmarkParams p) {
    StringBuilder b = new StringBuilder(Figure.shortName(p.getBenchmark()));
    for (String k : p.getParamsKeys()) b.append(' ').append(k).append('=').append(p.getParam(k));
    return b.toString();
  }

  private void closeFailure() {
    if (failure != null) {
      failures.add(failure.toString().strip());
      failure = null;
    }
  }

  @Override
  public void startBenchmark(BenchmarkParams params) {
    closeFailure();
    current = label(params);
    started = System.nanoTime();
  }

  @Override
  public void endBenchmark(BenchmarkResult result) {
    double s = (System.nanoTime() - started) / 1e9;
    if (result == null || result.getPrimaryResult() == null) {
      out.printf("  %-70s FAILED (%.0f s)%n", current, s);
      if (failure == null) failure = new StringBuilder(current + ": failed");
      return;
    }
    var r = result.getPrimaryResult();
    double median = r.getStatistics().getPercentile(50);
    out.printf("  %-70s %10.4g %-6s (%.0f s)%n", current, median, r.getScoreUnit(), s);
  }

  @Override
  public void println(String s) {
    // JMH reports a benchmark's exception as "<failure>" followed by the stack trace.
    if (s.contains("<failure>")) {
      closeFailure();
      failure = new StringBuilder(current == null ? "" : current).append(":");
      return;
    }
    if (failure != null && failure.length() < 4000) failure.append('\n').append(s);
  }

  @Override
  public void print(String s) {
    if (failure != null && failure.length() < 4000) failure.append(s);
  }

  @Override
  public void verbosePrintln(String s) {}

  @Override
  public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {}

  @Override
  public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration, IterationResult data) {}

  @Override
  public void startRun() {}

  @Override
  public void endRun(Collection<RunResult> result) {
    closeFailure();
  }

  @Override
  public void flush() {
    out.flush();
  }

  @Override
  public void close() {
    out.flush();
  }

  @Override
  public void write(int b) {}

  @Override
  public void write(byte[] b) {}
}
