package dev.unroll.experiments;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * GNU-style options: {@code --name value}, {@code --name=value} and boolean {@code --flag}. Every
 * option a command reads must be declared, so a misspelt option is an error rather than ignored.
 */
public final class Options {
  /** Bad command-line usage. */
  public static final class UsageException extends RuntimeException {
    public UsageException(String message) {
      super(message);
    }
  }

  private final Map<String, String> values = new HashMap<>();
  private final Set<String> flags = new HashSet<>();

  /**
   * Parses {@code args} against the declared names: {@code valued} take a value, {@code booleans} do not.
   */
  public static Options parse(String[] args, Set<String> valued, Set<String> booleans) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) throw new UsageException("unexpected argument '" + a + "'");
      String name = a.substring(2), value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (booleans.contains(name)) {
        if (value != null) throw new UsageException("--" + name + " takes no value");
        o.flags.add(name);
      } else if (valued.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.length) throw new UsageException("--" + name + " needs a value");
          value = args[++i];
        }
        o.values.put(name, value);
      } else {
        throw new UsageException("unknown option --" + name + " (known: " + known(valued, booleans) + ")");
      }
    }
    return o;
  }

  private static String known(Set<String> valued, Set<String> booleans) {
    StringBuilder b = new StringBuilder();
    valued.stream().sorted().forEach(n -> b.append("--").append(n).append(" VALUE "));
    booleans.stream().sorted().forEach(n -> b.append("--").append(n).append(' '));
    return b.toString().trim();
  }

  public boolean flag(String name) {
    return flags.contains(name);
  }

  public String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  public int getInt(String name, int fallback) {
    String v = values.get(name);
    if (v == null) return fallback;
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " expects an integer, got '" + v + "'");
    }
  }

  public double getDouble(String name, double fallback) {
    String v = values.get(name);
    if (v == null) return fallback;
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " expects a number, got '" + v + "'");
    }
  }
}
