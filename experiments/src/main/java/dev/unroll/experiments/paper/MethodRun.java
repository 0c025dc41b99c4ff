package dev.unroll.experiments.paper;

import dev.unroll.tda.Scores;

/** One attribution method of an experiment: its name in the table and how to compute its scores. */
public record MethodRun(String name, Compute compute) {
  @FunctionalInterface
  public interface Compute {
    Scores run(Context context) throws Exception;
  }
}
