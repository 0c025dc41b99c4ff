package dev.unroll.nn.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Lines of delimited text split into cells, each remembering its 1-based line number, so that
 * every later complaint can name file and line. Blank lines are skipped. Separated by one
 * delimiter character with RFC 4180 double quotes ("a, b" and "" inside quotes), or by runs of
 * whitespace. Cells are trimmed.
 */
final class DelimitedText {
  /** One non-blank line. */
  record Row(long line, String[] cells) {}

  /** Delimiter meaning "runs of spaces and tabs". */
  static final char WHITESPACE = 0;

  final String source;
  final char delimiter;
  final List<Row> rows;

  private DelimitedText(String source, char delimiter, List<Row> rows) {
    this.source = source;
    this.delimiter = delimiter;
    this.rows = rows;
  }

  /**
   * Reads all of {@code opener}'s text (UTF-8, optional BOM). {@code delimiter} null means detect
   * from the first non-blank line: ';' when it holds more semicolons than commas, else ','.
   */
  static DelimitedText read(String source, DataFiles.Opener opener, Character delimiter) {
    List<String> lines = new ArrayList<>();
    List<Long> numbers = new ArrayList<>();
    try (InputStream in = DataFiles.open(source, opener);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      long no = 0;
      for (String s; (s = r.readLine()) != null; ) {
        no++;
        if (no == 1 && s.startsWith("\uFEFF")) s = s.substring(1);
        if (s.isBlank()) continue;
        lines.add(s);
        numbers.add(no);
      }
    } catch (IOException e) {
      throw new DataLoadException(source, "cannot read: " + e, e);
    }
    char d = delimiter != null ? delimiter : lines.isEmpty() ? ',' : detect(lines.get(0));
    List<Row> rows = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) rows.add(new Row(numbers.get(i), split(source, numbers.get(i), lines.get(i), d)));
    return new DelimitedText(source, d, rows);
  }

  private static char detect(String line) {
    int commas = 0, semis = 0;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') quoted = !quoted;
      else if (!quoted && c == ',') commas++;
      else if (!quoted && c == ';') semis++;
    }
    return semis > commas ? ';' : ',';
  }

  static String[] split(String source, long lineNo, String line, char d) {
    if (d == WHITESPACE) return line.trim().split("[ \\t]+");
    List<String> cells = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else quoted = false;
        } else cur.append(c);
      } else if (c == '"') {
        quoted = true;
      } else if (c == d) {
        cells.add(cur.toString().trim());
        cur.setLength(0);
      } else cur.append(c);
    }
    if (quoted) throw new DataLoadException(source, lineNo, "unterminated double quote");
    cells.add(cur.toString().trim());
    return cells.toArray(new String[0]);
  }

  private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  /**
   * The number in cell {@code col} (0-based) of {@code row}: a plain decimal with optional exponent
   * (as "3.38e-005"); anything else, including NaN, infinities and Java suffixes like "1f", is an
   * error naming file, line, column and {@code columnName}.
   */
  double number(Row row, int col, String columnName) {
    String s = row.cells[col];
    if (!DECIMAL.matcher(s).matches()) {
      throw new DataLoadException(source, row.line, col + 1, "cell '" + s + "' of column " + columnName + " is not a number");
    }
    double v = Double.parseDouble(s);
    if (!Double.isFinite(v)) throw new DataLoadException(source, row.line, col + 1, "cell '" + s + "' of column " + columnName + " overflows a double");
    return v;
  }

  /** The integer in cell {@code col} of {@code row}, within [lo, hi]; errors name file, line and column. */
  int integer(Row row, int col, String columnName, int lo, int hi) {
    String s = row.cells[col];
    int v;
    try {
      v = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new DataLoadException(source, row.line, col + 1, "cell '" + s + "' of column " + columnName + " is not an integer");
    }
    if (v < lo || v > hi) throw new DataLoadException(source, row.line, col + 1, "value " + v + " of column " + columnName + " is outside [" + lo + ", " + hi + "]");
    return v;
  }

  /** Fails unless {@code row} has exactly {@code n} cells. */
  void requireCells(Row row, int n, String why) {
    if (row.cells.length != n) throw new DataLoadException(source, row.line, row.cells.length + " cells, expected " + n + " (" + why + ")");
  }
}
