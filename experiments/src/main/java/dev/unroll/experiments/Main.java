package dev.unroll.experiments;

import dev.unroll.experiments.cli.Bench;
import dev.unroll.experiments.cli.Lds;
import dev.unroll.experiments.cli.Score;
import dev.unroll.experiments.paper.Experiments;
import dev.unroll.experiments.cli.SelfCheck;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The command-line tool behind {@code ./unroll}: one subcommand per job. */
public final class Main {
  private Main() {}

  /** A subcommand: runs with the remaining arguments and returns the process exit status. */
  @FunctionalInterface
  public interface Command {
    int run(String[] args) throws Exception;
  }

  record Entry(String summary, Command command) {}

  static Map<String, Entry> commands() {
    Map<String, Entry> m = new LinkedHashMap<>();
    m.put("demo", new Entry("the main job: Concrete end to end at quick scale (train, score with every method, retrain, LDS, report)", a -> dev.unroll.experiments.paper.UciExperiment.run("concrete", a)));
    m.put("experiment", new Entry("NAME [--scale quick|paper] [--out DIR] [--data DIR] [--threads N] [--methods ID,...] [--evaluations none|quick|full] [--train-only]: " + String.join(", ", Experiments.NAMES), Main::experiment));
    m.put("lds", new Entry(Lds.USAGE + ": the whole evaluation on your own CSV (regression of COLUMN on the other columns)", Lds::run));
    m.put("score", new Entry("--run DIR --method NAME|all [--queries test|train|FILE | --self-influence] [--seeds K] [--out FILE.npy|DIR] [--timing] [method options]: attribution scores of a recorded run, or each training example's self-influence", Score::run));
    m.put("selfcheck", new Entry("gradient checks of every op on every backend, kernel speed, OpenCL devices [--json FILE] [--no-speed]", SelfCheck::run));
    m.put("bench", new Entry("JMH benchmarks: table of medians, spreads, GEMM against the measured peak [--quick] [--compare] [--json FILE] [--include REGEX] [--list]", Bench::run));
    return m;
  }

  static int experiment(String[] args) throws Exception {
    if (args.length == 0) throw new Options.UsageException("experiment needs a NAME: " + String.join(", ", Experiments.NAMES));
    if (!Experiments.NAMES.contains(args[0])) throw new Options.UsageException("unknown experiment '" + args[0] + "' (known: " + String.join(", ", Experiments.NAMES) + ")");
    return Experiments.run(args[0], Arrays.copyOfRange(args, 1, args.length));
  }

  public static void main(String[] args) throws Exception {
    Map<String, Entry> cmds = commands();
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
      usage(cmds);
      System.exit(args.length == 0 ? 2 : 0);
    }
    Entry e = cmds.get(args[0]);
    if (e == null) {
      System.err.println("unroll: unknown command '" + args[0] + "'");
      usage(cmds);
      System.exit(2);
    }
    int status;
    try {
      status = e.command().run(Arrays.copyOfRange(args, 1, args.length));
    } catch (IllegalArgumentException | Options.UsageException | dev.unroll.nn.data.DataLoadException ex) {
      System.err.println("unroll " + args[0] + ": " + ex.getMessage());
      status = 2;
    } catch (ArithmeticException | dev.unroll.optim.train.DivergenceException | dev.unroll.autodiff.io.CorruptFileException
        | dev.unroll.tda.curvature.FactorStore.MismatchException | java.io.UncheckedIOException ex) {
      // Numerical failures, damaged or unwritable files and stale factors: their messages name the cause and the remedy.
      System.err.println("unroll " + args[0] + ": " + ex.getMessage());
      status = 1;
    } catch (java.io.IOException ex) {
      System.err.println("unroll " + args[0] + ": " + dev.unroll.autodiff.io.AtomicFiles.reason(ex));
      status = 1;
    }
    System.exit(status);
  }

  private static void usage(Map<String, Entry> cmds) {
    System.err.println("usage: ./unroll COMMAND [options]\n\ncommands:");
    cmds.forEach((k, v) -> System.err.printf("  %-12s %s%n", k, v.summary()));
  }
}
