package dev.unroll.experiments.paper;

/**
 * How much counterfactual retraining an experiment does. {@code quick} is for the README's main job
 * and the tests (minutes); {@code paper} is the literature's protocol (method.md §6: M = 100
 * subsets of α = 0.5, R = 100 retrains per subset for UCI data, 50 for images).
 *
 * @param subsets M
 * @param seeds   R for tabular data
 * @param imageSeeds R for image data
 * @param queries how many of the held-out queries are attributed (all: Integer.MAX_VALUE)
 */
public record Scale(String name, int subsets, int seeds, int imageSeeds, int queries) {
  public static Scale quick() {
    return new Scale("quick", 32, 4, 2, 25);
  }

  public static Scale paper() {
    return new Scale("paper", 100, 100, 50, Integer.MAX_VALUE);
  }

  public static Scale of(String name) {
    return switch (name) {
      case "quick" -> quick();
      case "paper" -> paper();
      default -> throw new IllegalArgumentException("--scale must be quick or paper, got '" + name + "'");
    };
  }
}
