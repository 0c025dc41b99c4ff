package dev.unroll.experiments.paper;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Short ids for the methods on the command line ({@code --methods source,if-ekfac,tracin}) and the methods they stand for. */
public final class MethodIds {
  private MethodIds() {}

  /** id → method name as in the report. */
  public static final Map<String, String> IDS = ids();

  private static Map<String, String> ids() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("exact", MethodCatalog.EXACT);
    m.put("source", "SOURCE (L=3)");
    m.put("source-l2", "SOURCE (L=2)");
    m.put("source-l1", "SOURCE (L=1)");
    m.put("if-ekfac", "EK-FAC influence");
    m.put("if-kfac", "K-FAC influence");
    m.put("tracin", "TracIn");
    m.put("trak", "TRAK (4 half-models)");
    m.put("grad-dot", "gradient dot");
    m.put("grad-cos", "gradient cosine");
    m.put("rep-cos", "representation cosine");
    m.put("source-ensemble", "SOURCE ensemble (" + UciSetting.ENSEMBLE + " seeds)");
    m.put("if-ekfac-ensemble", "EK-FAC influence ensemble (" + UciSetting.ENSEMBLE + " seeds)");
    return Collections.unmodifiableMap(m);
  }

  /** Parses a comma-separated list of ids; null or blank gives null (every method of the setting). */
  public static List<String> parse(String list) {
    if (list == null || list.isBlank()) return null;
    List<String> out = new ArrayList<>();
    for (String s : list.split(",")) {
      String id = s.trim();
      if (id.isEmpty()) continue;
      if (!IDS.containsKey(id)) throw new IllegalArgumentException("unknown method '" + id + "' (known: " + String.join(", ", IDS.keySet()) + ")");
      if (!out.contains(id)) out.add(id);
    }
    if (out.isEmpty()) throw new IllegalArgumentException("--methods names no method (known: " + String.join(", ", IDS.keySet()) + ")");
    return out;
  }

  /** The methods of {@code available} that {@code ids} name, in the order of the ids (all of them when ids is null). */
  public static List<MethodRun> select(List<MethodRun> available, List<String> ids, String setting) {
    if (ids == null) return available;
    List<MethodRun> out = new ArrayList<>();
    for (String id : ids) {
      String name = IDS.get(id);
      MethodRun m = available.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
          "method '" + id + "' (" + name + ") is not compared on " + setting + "; it has: " + String.join(", ", available.stream().map(MethodRun::name).toList())));
      out.add(m);
    }
    return out;
  }
}
