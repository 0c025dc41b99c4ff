package dev.unroll.experiments.cli;

import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.CsvSetting;
import dev.unroll.experiments.paper.Experiments;
import dev.unroll.experiments.paper.Pipeline;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code ./unroll lds --csv FILE --target COLUMN [--methods ID,...] [--scale quick|paper] [--out DIR]}:
 * the whole evaluation (train recorded, score, retrain, LDS, report) on a user's CSV of numeric
 * columns, as a regression of COLUMN on the others ({@link CsvSetting}).
 */
public final class Lds {
  private Lds() {}

  public static final String USAGE = "--csv FILE --target COLUMN [--methods " + String.join(",", List.of("source", "if-ekfac", "tracin")) + "] [--scale quick|paper] [--out DIR] [--threads N] [--epochs E] [--subsets M] [--seeds R] [--queries Q]";

  public static int run(String[] args) throws Exception {
    Set<String> valued = new HashSet<>(Experiments.OPTIONS);
    valued.remove("train");
    valued.remove("data");
    valued.addAll(Set.of("csv", "target", "methods"));
    Options o = Options.parse(args, valued, Set.of());
    String csv = o.get("csv", null), target = o.get("target", null);
    if (csv == null || target == null) throw new Options.UsageException("lds needs --csv FILE and --target COLUMN (usage: lds " + USAGE + "; methods: " + String.join(", ", CsvSetting.METHOD_IDS.keySet()) + ")");
    List<String> methods = Arrays.stream(o.get("methods", "source,if-ekfac,tracin").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    CsvSetting s = CsvSetting.load(Path.of(csv), target, methods, o.getInt("epochs", 0));
    return Pipeline.run(s, Experiments.pipelineRun(o, "lds-" + s.name()));
  }
}
