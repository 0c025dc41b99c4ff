package dev.unroll.experiments.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagePanelsTest {
  @Test
  void extremesFollowTheMeasurementsOrientation() {
    double[] tau = {0.3, -0.5, 0.1, 0.9, -0.2};
    // Margin: supporting points are those whose removal lowers it, the most negative τ.
    int[][] m = ImagePanels.extremes(tau, 2, true);
    assertArrayEquals(new int[] {1, 4}, m[0]);
    assertArrayEquals(new int[] {3, 0}, m[1]);
    int[][] e = ImagePanels.extremes(tau, 2, false);
    assertArrayEquals(new int[] {3, 0}, e[0]);
    assertArrayEquals(new int[] {1, 4}, e[1]);
  }

  @Test
  void pixelsAndFramesLandWhereTheLayoutSays(@TempDir Path dir) throws Exception {
    int h = 3, w = 2, scale = 4;
    double[] white = {1, 1, 1, 1, 1, 1};
    double[] ramp = {0, 0.2, 0.4, 0.6, 0.8, 1.5};
    List<List<ImagePanels.Tile>> rows = List.of(
        List.of(new ImagePanels.Tile(white, "query 0", "Coat", ImagePanels.QUERY, false), new ImagePanels.Tile(ramp, "#7 0.1", "Bag (noisy)", ImagePanels.OPPOSING, true)),
        List.of(new ImagePanels.Tile(ramp, "query 1", "Bag", ImagePanels.SUPPORTING, false)));
    Path png = dir.resolve("p.png");
    ImagePanels.render("title", rows, h, w, scale, png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(Math.max(2 * ImagePanels.cellWidth(w, scale), 320), img.getWidth());
    assertEquals(ImagePanels.HEADER + 2 * ImagePanels.rowHeight(h, scale), img.getHeight());
    int[] o = ImagePanels.pixelOrigin(0, 0, h, w, scale);
    assertEquals(0xFFFFFF, img.getRGB(o[0] + 5, o[1] + 9) & 0xFFFFFF);
    assertEquals(ImagePanels.QUERY.getRGB() & 0xFFFFFF, img.getRGB(o[0] - 1, o[1] - 1) & 0xFFFFFF);
    // Tile (0, 1), pixel (row 1, col 1) = 0.6 → 153; pixel (2, 1) = 1.5 clamps to white.
    int[] p = ImagePanels.pixelOrigin(0, 1, h, w, scale);
    assertEquals(new Color(153, 153, 153).getRGB() & 0xFFFFFF, img.getRGB(p[0] + scale + 3, p[1] + scale) & 0xFFFFFF);
    assertEquals(0xFFFFFF, img.getRGB(p[0] + scale, p[1] + 2 * scale + 3) & 0xFFFFFF);
    assertEquals(ImagePanels.OPPOSING.getRGB() & 0xFFFFFF, img.getRGB(p[0] - 1, p[1] + 1) & 0xFFFFFF);
    int[] r = ImagePanels.pixelOrigin(1, 0, h, w, scale);
    assertEquals(0x000000, img.getRGB(r[0], r[1]) & 0xFFFFFF);
    assertEquals(ImagePanels.SUPPORTING.getRGB() & 0xFFFFFF, img.getRGB(r[0] - ImagePanels.PAD, r[1] - ImagePanels.PAD) & 0xFFFFFF);
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")));
    }
  }
}
