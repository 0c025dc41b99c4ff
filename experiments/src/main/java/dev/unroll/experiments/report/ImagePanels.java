package dev.unroll.experiments.report;

import dev.unroll.experiments.eval.Support;
import dev.unroll.nn.data.Dataset;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;

/**
 * Image panels for image data: one row per query, the query beside its k most supporting and k
 * most opposing training images under one method ({@link Support}: supporting = removing the
 * point harms the query), each captioned with its index, label and score. Grayscale images with
 * values in [0, 1] (clamped), drawn at an integer scale; frames: query blue, supporting green,
 * opposing red; a label that was corrupted is written in red and marked.
 */
public final class ImagePanels {
  private ImagePanels() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** The class names of FashionMNIST, by label. */
  public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  static final Color QUERY = new Color(40, 90, 200), SUPPORTING = new Color(30, 150, 60), OPPOSING = new Color(200, 40, 40);
  static final int PAD = 3, GAP = 6, CAPTION = 30, HEADER = 24;

  /** One image with its caption lines and frame colour; {@code alarm} writes the caption in red. */
  public record Tile(double[] pixels, String top, String bottom, Color frame, boolean alarm) {}

  /** Width of one cell (image, frame and gap) at this scale. */
  static int cellWidth(int w, int scale) {
    return w * scale + 2 * PAD + GAP;
  }

  static int rowHeight(int h, int scale) {
    return h * scale + 2 * PAD + CAPTION + GAP;
  }

  /** Top-left corner of the first image pixel of the tile at (row, col). */
  static int[] pixelOrigin(int row, int col, int h, int w, int scale) {
    return new int[] {col * cellWidth(w, scale) + PAD, HEADER + row * rowHeight(h, scale) + PAD};
  }

  /** Renders rows of tiles (all h×w) under a title line to a PNG, atomically. */
  public static void render(String title, List<List<Tile>> rows, int h, int w, int scale, Path png) throws IOException {
    int cols = rows.stream().mapToInt(List::size).max().orElse(0);
    if (cols == 0) throw new IllegalArgumentException("an image panel with no images");
    BufferedImage img = new BufferedImage(Math.max(cols * cellWidth(w, scale), 320), HEADER + rows.size() * rowHeight(h, scale), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(title, 4, HEADER - 8);
    Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    g.setFont(small);
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < rows.get(r).size(); c++) {
        Tile t = rows.get(r).get(c);
        if (t.pixels().length != h * w) throw new IllegalArgumentException("tile (" + r + ", " + c + ") has " + t.pixels().length + " pixels, expected " + h + "x" + w);
        int[] o = pixelOrigin(r, c, h, w, scale);
        g.setColor(t.frame());
        g.fillRect(o[0] - PAD, o[1] - PAD, w * scale + 2 * PAD, h * scale + 2 * PAD);
        double[] px = t.pixels();
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            int v = (int) Math.round(255 * Math.max(0, Math.min(1, px[i * w + j])));
            int rgb = (v << 16) | (v << 8) | v;
            for (int a = 0; a < scale; a++) for (int b = 0; b < scale; b++) img.setRGB(o[0] + j * scale + b, o[1] + i * scale + a, rgb);
          }
        }
        g.setColor(t.alarm() ? OPPOSING : Color.BLACK);
        g.drawString(t.top(), o[0] - PAD, o[1] + h * scale + PAD + 12);
        g.drawString(t.bottom(), o[0] - PAD, o[1] + h * scale + PAD + 24);
      }
    }
    g.dispose();
    Path dir = png.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, png.getFileName().toString(), ".tmp");
    ImageIO.write(img, "png", tmp.toFile());
    Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The k most supporting and k most opposing training points of one query's scores τ[N]:
   * {supporting (most first), opposing (most first)}.
   */
  public static int[][] extremes(double[] tau, int k, boolean higherIsBetter) {
    double[] s = Support.support(tau, higherIsBetter);
    double[] neg = s.clone();
    for (int i = 0; i < neg.length; i++) neg[i] = -neg[i];
    return new int[][] {Support.topK(s, k), Support.topK(neg, k)};
  }

  /**
   * One method's panel: a row per query in {@code queryIndices}: the query, then its k supporting
   * and k opposing training images.
   *
   * @param tau       the method's scores [Q][N]
   * @param corrupted training points whose label was corrupted (null when none)
   * @param names     class name of a label
   */
  public static void methodPanel(String method, double[][] tau, boolean higherIsBetter, Dataset train, Dataset queries, int[] queryIndices, int k,
      boolean[] corrupted, IntFunction<String> names, int h, int w, Path png) throws IOException {
    if (train.inputSize() != h * w) throw new IllegalArgumentException("training inputs have " + train.inputSize() + " values, a " + h + "x" + w + " image has " + h * w);
    int[] trainLabels = train.labels(), queryLabels = queries.labels();
    List<List<Tile>> rows = new ArrayList<>();
    for (int q : queryIndices) {
      List<Tile> row = new ArrayList<>();
      row.add(new Tile(pixels(queries, q), "query " + q, names.apply(queryLabels[q]), QUERY, false));
      int[][] ex = extremes(tau[q], k, higherIsBetter);
      for (int side = 0; side < 2; side++) {
        for (int m : ex[side]) {
          boolean noisy = corrupted != null && corrupted[m];
          row.add(new Tile(pixels(train, m), "#" + m + " " + String.format(Locale.ROOT, "%.2g", tau[q][m]), names.apply(trainLabels[m]) + (noisy ? " (noisy)" : ""),
              side == 0 ? SUPPORTING : OPPOSING, noisy));
        }
      }
      rows.add(row);
    }
    render(method + ": query | " + k + " most supporting (green) | " + k + " most opposing (red); caption: index, score, label", rows, h, w, 3, png);
  }

  private static double[] pixels(Dataset d, int i) {
    return d.subset(new int[] {i}).x().toDoubleArray();
  }
}
