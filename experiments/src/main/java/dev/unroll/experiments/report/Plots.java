package dev.unroll.experiments.report;

import dev.unroll.experiments.eval.Lds;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's figures, rendered headless to PNG (written atomically). */
public final class Plots {
  private Plots() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** LDS per method as bars with their 95% bootstrap intervals as error bars. */
  public static void ldsBars(String title, Map<String, Lds.Result> results, Path png) throws IOException {
    CategoryChart c = new CategoryChartBuilder().width(900).height(480).title(title).xAxisTitle("method").yAxisTitle("LDS (Spearman)").build();
    List<String> names = new ArrayList<>(results.keySet());
    List<Double> means = new ArrayList<>(), errs = new ArrayList<>();
    for (String n : names) {
      Lds.Result r = results.get(n);
      means.add(finite(r.mean()));
      errs.add(finite((r.high() - r.low()) / 2));
    }
    c.addSeries("LDS", names, means, errs);
    c.getStyler().setLegendVisible(false);
    c.getStyler().setXAxisLabelRotation(30);
    save(c, png);
  }

  /** Predicted against actual group effects for one query (one point per subset). */
  public static void scatter(String title, String xLabel, String yLabel, double[] x, double[] y, Path png) throws IOException {
    XYChart c = new XYChartBuilder().width(520).height(480).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    c.getStyler().setLegendVisible(false);
    c.addSeries("subsets", x, y);
    save(c, png);
  }

  /** Several curves over a shared x grid (e.g. subset-removal curves per method). */
  public static void curves(String title, String xLabel, String yLabel, double[] x, Map<String, double[]> series, Path png) throws IOException {
    XYChart c = new XYChartBuilder().width(760).height(480).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    series.forEach((name, ys) -> c.addSeries(name, x, ys).setMarker(SeriesMarkers.CIRCLE));
    save(c, png);
  }

  /**
   * Grayscale images in a row, each h×w with values in [0, 1], with a coloured frame per image
   * (e.g. the query, its top supporting and top opposing training images).
   */
  public static void imageRow(List<double[]> images, List<Color> frames, int h, int w, int scale, Path png) throws IOException {
    int pad = 4, cell = w * scale + 2 * pad;
    BufferedImage img = new BufferedImage(cell * images.size(), h * scale + 2 * pad, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    for (int k = 0; k < images.size(); k++) {
      g.setColor(frames.get(k));
      g.fillRect(k * cell, 0, cell, img.getHeight());
      double[] px = images.get(k);
      for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {
        int v = (int) Math.round(255 * Math.max(0, Math.min(1, px[i * w + j])));
        g.setColor(new Color(v, v, v));
        g.fillRect(k * cell + pad + j * scale, pad + i * scale, scale, scale);
      }
    }
    g.dispose();
    Path tmp = tempBeside(png);
    ImageIO.write(img, "png", tmp.toFile());
    Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static void save(Chart<?, ?> chart, Path png) throws IOException {
    Path tmp = tempBeside(png);
    Files.write(tmp, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static Path tempBeside(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    return Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
  }
}
