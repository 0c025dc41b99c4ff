package dev.unroll.tda.methods;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.Scores;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Ensembles (method.md §5): any method's scores averaged over runs (models trained with different seeds or on different subsets). */
public final class Ensembles {
  private Ensembles() {}

  /** The entrywise mean of the runs' scores ({@link Scores#average}). */
  public static Scores average(List<Scores> runs) {
    return Scores.average(runs);
  }

  /** Runs {@code method} once per member's parameter values and averages the scores. */
  public static Scores over(List<List<Tensor>> members, Function<List<Tensor>, Scores> method) {
    if (members.isEmpty()) throw new IllegalArgumentException("an ensemble of no members");
    List<Scores> runs = new ArrayList<>();
    for (List<Tensor> m : members) runs.add(method.apply(m));
    return Scores.average(runs);
  }
}
