package dev.unroll.benchmarks;

import com.google.gson.GsonBuilder;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code ./unroll bench [--quick] [--compare] [--json FILE] [--include REGEX] [--list]}: runs the
 * JMH suite ({@link Suite}) and prints one table of medians, spreads and, for GEMM, the ratio to the
 * peak measured in the same run. --quick takes fewer and shorter iterations and leaves out the
 * slowest figures (under ten minutes on two cores); --compare runs the figures that
 * benchmarks/pytorch/compare.py sets beside PyTorch. --include keeps the benchmarks whose name
 * ("SgdStepBench.step") matches. Exit status 1 when a benchmark failed.
 */
public final class BenchMain {
  private BenchMain() {}

  /**
   * JVM options of every forked benchmark VM: the launcher's collector (parallel, young generation
   * sized adaptively), so that the figures are what {@code ./unroll} gives. A fixed 128 MB young
   * generation was tried and dropped: it cut the tail of slow small-MLP steps while the heap grows
   * (first touches of new pages are slow on virtual machines that back memory lazily; medians do not
   * see them), but it made SOURCE and EK-FAC scoring 2× slower, their tens-of-megabytes tensors being
   * promoted and collected by full collections (measured 2026-11-23: SOURCE scores on Concrete, median
   * 1.59 s against 0.75 s; the command is in the README's speed table notes).
   */
  static final String[] FORK_JVM_ARGS = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xss8m", "-Xms1g", "-Xmx6g"};

  /**
   * Extra options of the single-shot groups (whole training runs, EK-FAC and SOURCE): the whole
   * 6 GB heap committed and touched at start. With a growing heap, the calls that first ran through
   * newly committed young-generation pages took 8× longer (EK-FAC scores on Concrete: 45 ms, then
   * 360–470 ms for 8–10 consecutive calls, then 45 ms again, in every fork; no collection in that
   * window; measured 2026-11-24 with -Xlog:gc and JFR), which 7 single-shot calls after 5 warm-ups
   * could not average out. Measured the same way with this option: 43–76 ms throughout. The heap is
   * the forks' usual 6 GB where the machine has at least 12 GB, else half its memory: committing it
   * all must not push a smaller machine into swapping.
   */
  static final String[] PRETOUCHED_HEAP = pretouchedHeap(physicalMemory());

  static String[] pretouchedHeap(long physicalBytes) {
    long mb = Math.max(512, Math.min(6L << 10, (physicalBytes >> 20) / 2));
    return new String[] {"-Xms" + mb + "m", "-Xmx" + mb + "m", "-XX:+AlwaysPreTouch"};
  }

  private static long physicalMemory() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) return os.getTotalMemorySize();
    return 12L << 30;
  }

  public static void main(String[] args) throws Exception {
    int status;
    try {
      status = run(args, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println("unroll bench: " + e.getMessage());
      status = 2;
    }
    System.exit(status);
  }

  /** The parsed command line. */
  record Args(Suite.Selection selection, boolean quickTiming, String json, Pattern include, boolean list) {
    static Args parse(String[] args) {
      boolean quick = false, compare = false, list = false;
      String json = null;
      Pattern include = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String value = null;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) {
          value = a.substring(eq + 1);
          a = a.substring(0, eq);
        }
        switch (a) {
          case "--quick" -> quick = true;
          case "--compare" -> compare = true;
          case "--list" -> list = true;
          case "--json", "--include" -> {
            if (value == null) {
              if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
              value = args[++i];
            }
            if (a.equals("--json")) json = value;
            else {
              try {
                include = Pattern.compile(value);
              } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("--include: not a regular expression: " + e.getMessage());
              }
            }
          }
          case "--help", "-h" -> throw new IllegalArgumentException("usage: ./unroll bench [--quick] [--compare] [--json FILE] [--include REGEX] [--list]");
          default -> throw new IllegalArgumentException("unknown option " + a + " (known: --quick --compare --json FILE --include REGEX --list)");
        }
      }
      Suite.Selection s = compare ? Suite.Selection.COMPARE : quick ? Suite.Selection.QUICK : Suite.Selection.FULL;
      return new Args(s, quick, json, include, list);
    }
  }

  /** Runs the suite as the command line asks; returns the exit status. */
  public static int run(String[] argv, PrintStream out) throws Exception {
    Args args = Args.parse(argv);
    // Other JMH runs on a shared machine must not block this one (JMH takes a global lock file).
    System.setProperty("jmh.ignoreLock", "true");
    List<String> available = new ArrayList<>();
    ProgressFormat progress = new ProgressFormat(out);
    for (BenchmarkListEntry e : BenchmarkList.defaultList().getAll(progress, List.of())) available.add(e.getUsername());
    available = new ArrayList<>(new TreeSet<>(available));

    Machine machine = Machine.detect();
    String command = "./unroll bench" + (argv.length == 0 ? "" : " " + String.join(" ", argv));
    String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    out.printf("Unroll benchmarks (%s selection%s), %s: %s%n", args.selection().name().toLowerCase(), args.quickTiming() && args.selection() != Suite.Selection.QUICK ? ", quick timing" : "", date, command);

    List<Figure> figures = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    long t0 = System.nanoTime();
    for (Suite.Group g : Suite.GROUPS) {
      Map<String, String[]> params = g.params(args.selection());
      if (params == null) continue;
      Pattern p = Pattern.compile(g.include());
      List<String> names = new ArrayList<>();
      for (String n : available) {
        String shortName = Figure.shortName(n);
        if (p.matcher(n).find() && (args.include() == null || args.include().matcher(shortName).find())) names.add(n);
      }
      if (names.isEmpty()) {
        if (args.include() == null) absent.add(g.title());
        continue;
      }
      if (args.list()) {
        out.println(g.title() + ":");
        for (String n : names) out.println("  " + n + (params.isEmpty() ? "" : "  " + describe(params)));
        continue;
      }
      out.printf("%n%s (%s)%n", g.title(), String.join(", ", names.stream().map(Figure::shortName).toList()));
      Collection<RunResult> results = new Runner(options(g, names, params, args), progress).run();
      for (RunResult r : results) figures.add(Figure.of(r));
    }
    if (args.list()) return 0;
    out.printf("%nRan in %.1f min.%n", (System.nanoTime() - t0) / 6e10);
    Report report = new Report(machine, figures, progress.failures(), absent);
    report.print(out);
    if (args.json() != null) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("date", date);
      json.put("command", command);
      json.put("selection", args.selection().name().toLowerCase());
      json.putAll(report.toJson());
      writeAtomically(Path.of(args.json()), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(json));
      out.println("\nWrote " + args.json());
    }
    return progress.failures().isEmpty() ? 0 : 1;
  }

  private static String describe(Map<String, String[]> params) {
    StringBuilder b = new StringBuilder();
    params.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(String.join(",", v)));
    return b.toString();
  }

  /** JMH options for one group: its benchmarks, parameters, forks and iteration counts. */
  static org.openjdk.jmh.runner.options.Options options(Suite.Group g, List<String> names, Map<String, String[]> params, Args args) {
    boolean quick = args.quickTiming();
    String[] jvm = java.util.stream.Stream.concat(java.util.Arrays.stream(FORK_JVM_ARGS), java.util.Arrays.stream(g.jvmArgs())).toArray(String[]::new);
    ChainedOptionsBuilder o = new OptionsBuilder().forks(1).shouldFailOnError(false).jvmArgsAppend(jvm);
    for (String n : names) o.include("^" + Pattern.quote(n) + "$");
    params.forEach(o::param);
    if (g.timing() == Suite.Timing.SINGLE_SHOT) {
      // Each call is one sample, and the calls are long and few: more warm-up calls so that the JIT
      // has compiled the scoring loops before the measured ones.
      o.warmupIterations(quick ? 2 : 5).measurementIterations(quick ? 3 : 7);
    } else {
      o.warmupIterations(quick ? 3 : 5).warmupTime(TimeValue.milliseconds(quick ? 500 : 1000))
          .measurementIterations(quick ? 5 : 10).measurementTime(TimeValue.milliseconds(quick ? 500 : 1000));
    }
    return o.build();
  }

  private static void writeAtomically(Path target, String text) throws Exception {
    Path abs = target.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
