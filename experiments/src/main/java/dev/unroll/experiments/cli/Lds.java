package dev.unroll.experiments.cli;

import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.CsvSetting;
import dev.unroll.experiments.paper.Experiments;
import dev.unroll.experiments.paper.MethodIds;
import dev.unroll.experiments.paper.Pipeline;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code ./unroll lds --csv FILE --target COLUMN [--methods ID,...] [--scale quick|paper] [--out DIR]}:
 * the whole evaluation (train recorded, score, retrain, LDS, report) on a user's CSV of numeric
 * columns, as a regression of COLUMN on the others ({@link CsvSetting}). Methods default to
 * {@value #DEFAULT_METHODS}.
 */
public final class Lds {
  private Lds() {}

  public static final String DEFAULT_METHODS = "source,if-ekfac,tracin";

  public static final String USAGE = "--csv FILE --target COLUMN [--methods " + DEFAULT_METHODS + "] [--scale quick|paper] [--out DIR] [--threads N] [--epochs E] [--subsets M] [--seeds R] [--queries Q]";

  public static int run(String[] args) throws Exception {
    Set<String> valued = new HashSet<>(Experiments.OPTIONS);
    valued.remove("train");
    valued.remove("data");
    valued.addAll(Set.of("csv", "target"));
    Options o = Options.parse(args, valued, Set.of());
    String csv = o.get("csv", null), target = o.get("target", null);
    if (csv == null || target == null) throw new Options.UsageException("lds needs --csv FILE and --target COLUMN (usage: lds " + USAGE + "; methods: " + String.join(", ", MethodIds.IDS.keySet()) + ")");
    // Method ids are checked before the data is read, so a typo fails at once.
    MethodIds.parse(o.get("methods", DEFAULT_METHODS));
    CsvSetting s = CsvSetting.load(Path.of(csv), target, o.getInt("epochs", 0));
    Pipeline.Run base = Experiments.pipelineRun(o, "lds-" + s.name());
    return Pipeline.run(s, new Pipeline.Run(base.scale(), base.threads(), base.seed(), base.out(), MethodIds.parse(o.get("methods", DEFAULT_METHODS)), base.evaluations(), base.trainOnly()));
  }
}
