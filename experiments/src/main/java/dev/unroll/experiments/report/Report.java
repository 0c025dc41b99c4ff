package dev.unroll.experiments.report;

import com.google.gson.GsonBuilder;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.experiments.eval.Lds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An experiment's outputs a person reads: {@code summary.json} (every figure, machine-readable),
 * {@code report.md} (the side-by-side table and the figures) and the PNG figures, in the run folder.
 */
public final class Report {
  private final Path dir;
  private final String title;
  private final Map<String, Object> settings = new LinkedHashMap<>();
  private final Map<String, Lds.Result> lds = new LinkedHashMap<>();
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private final Map<String, Map<String, Object>> extra = new LinkedHashMap<>();
  private final List<String> figures = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<String> sections = new ArrayList<>();

  public Report(Path dir, String title) {
    this.dir = dir;
    this.title = title;
  }

  public Path dir() {
    return dir;
  }

  public Report setting(String key, Object value) {
    settings.put(key, value);
    return this;
  }

  /** One method's LDS and the seconds it took to compute its scores. */
  public Report method(String name, Lds.Result result, double secondsTaken) {
    lds.put(name, result);
    seconds.put(name, secondsTaken);
    return this;
  }

  /** A further per-method figure (e.g. Spearman with exact unrolling), shown as an extra column. */
  public Report methodFigure(String method, String figure, Object value) {
    extra.computeIfAbsent(method, k -> new LinkedHashMap<>()).put(figure, value);
    return this;
  }

  public Report figure(String pngFileName, String caption) {
    figures.add("![" + caption + "](" + pngFileName + ")\n\n*" + caption + "*");
    return this;
  }

  /** A further evaluation's figures, stored in summary.json under {@code key} (any Gson-serialisable value). */
  public Report result(String key, Object value) {
    results.put(key, value);
    return this;
  }

  /** A further section of report.md (a heading and Markdown body), after the figures. */
  public Report section(String heading, String markdown) {
    sections.add("## " + heading + "\n\n" + markdown.strip() + "\n");
    return this;
  }

  public Report note(String text) {
    notes.add(text);
    return this;
  }

  /** The side-by-side table as Markdown. */
  public String table() {
    List<String> extraCols = new ArrayList<>();
    extra.values().forEach(m -> m.keySet().forEach(k -> {
      if (!extraCols.contains(k)) extraCols.add(k);
    }));
    StringBuilder b = new StringBuilder("| method | LDS | 95% interval | scoring time (s) |");
    extraCols.forEach(c -> b.append(' ').append(c).append(" |"));
    b.append("\n|---|---|---|---|");
    extraCols.forEach(c -> b.append("---|"));
    b.append('\n');
    lds.forEach((m, r) -> {
      b.append(String.format("| %s | %.3f | [%.3f, %.3f] | %.1f |", m, r.mean(), r.low(), r.high(), seconds.get(m)));
      for (String c : extraCols) {
        Object v = extra.getOrDefault(m, Map.of()).get(c);
        b.append(' ').append(v == null ? "" : v instanceof Double d ? String.format("%.3f", d) : v.toString()).append(" |");
      }
      b.append('\n');
    });
    return b.toString();
  }

  /** Writes summary.json, the LDS figure and report.md; returns the table. */
  public String write() throws IOException {
    if (!lds.isEmpty()) Plots.ldsBars(title + ": LDS per method (95% bootstrap interval)", lds, dir.resolve("lds.png"));
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("title", title);
    summary.put("settings", settings);
    Map<String, Object> methods = new LinkedHashMap<>();
    lds.forEach((m, r) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("lds", r.mean());
      e.put("lds_low", r.low());
      e.put("lds_high", r.high());
      e.put("seconds", seconds.get(m));
      e.putAll(extra.getOrDefault(m, Map.of()));
      methods.put(m, e);
    });
    summary.put("methods", methods);
    summary.putAll(results);
    summary.put("notes", notes);
    AtomicFiles.writeString(dir.resolve("summary.json"), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(summary));
    StringBuilder md = new StringBuilder("# " + title + "\n\n## Settings\n\n");
    settings.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
    md.append("\n## Results\n\n").append(table()).append('\n');
    if (!lds.isEmpty()) md.append("![LDS per method](lds.png)\n\n");
    for (String f : figures) md.append(f).append("\n\n");
    for (String sec : sections) md.append(sec).append('\n');
    if (!notes.isEmpty()) {
      md.append("## Notes\n\n");
      for (String n : notes) md.append("- ").append(n).append('\n');
    }
    AtomicFiles.writeString(dir.resolve("report.md"), md.toString());
    return table();
  }
}
