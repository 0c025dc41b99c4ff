package dev.unroll.experiments.paper;

import dev.unroll.experiments.eval.Evaluations;

/**
 * Leave-one-out correlation, subset removal against random removal, mislabel detection by
 * self-influence (where the setting corrupted labels) and image panels ({@link Evaluations}), on the
 * experiment's base run and scores, with retrains cached beside the LDS ground truth under the same
 * configuration key and with the same retraining procedure, with at most the plan's seeds per
 * retrained subset.
 */
record BesideLds(Evaluations.Plan plan) implements ExtraEvaluation {
  @Override
  public String name() {
    return "beside LDS (leave-one-out, subset removal, mislabel detection, panels)";
  }

  @Override
  public void run(Inputs in) throws Exception {
    Context c = in.context();
    var config = c.run().config();
    Evaluations.Setup setup = new Evaluations.Setup(in.out(), in.out().resolve("ground-truth"), Pipeline.cacheKey(config, c.queries()), c.run(), c.task(),
        in.scores(), Pipeline.retrainer(config, c.source(), c.measurement(), c.queries()), c.threads(), Math.min(plan.seeds(), in.groundTruth().seeds()), c.setting().corrupted());
    Evaluations.run(setup, plan, in.report());
  }
}
