package dev.unroll.experiments.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.experiments.eval.Lds;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures render headless to readable PNGs of the stated size, leaving no temporary files. */
class PlotsTest {
  @Test
  void rendersEachFigure(@TempDir Path dir) throws Exception {
    Map<String, Lds.Result> r = new LinkedHashMap<>();
    r.put("SOURCE", new Lds.Result(0.5, 0.45, 0.55, new double[0]));
    r.put("EK-FAC", new Lds.Result(0.3, 0.25, 0.35, new double[0]));
    Plots.ldsBars("LDS", r, dir.resolve("lds.png"));
    Plots.scatter("q0", "predicted", "actual", new double[] {1, 2, 3}, new double[] {2, 1, 3}, dir.resolve("s.png"));
    Plots.curves("removal", "k", "flip rate", new double[] {5, 10}, Map.of("SOURCE", new double[] {0.1, 0.3}), dir.resolve("c.png"));
    Plots.imageRow(List.of(new double[] {0, 1, 1, 0}, new double[] {1, 0, 0, 1}), List.of(Color.BLUE, Color.GREEN), 2, 2, 3, dir.resolve("i.png"));
    BufferedImage lds = ImageIO.read(dir.resolve("lds.png").toFile());
    assertEquals(900, lds.getWidth());
    BufferedImage row = ImageIO.read(dir.resolve("i.png").toFile());
    assertEquals(2 * (2 * 3 + 8), row.getWidth());
    // Pixel (0, 0) of the first image is black, (0, 1) white.
    assertEquals(0x000000, row.getRGB(4, 4) & 0xFFFFFF);
    assertEquals(0xFFFFFF, row.getRGB(4 + 3, 4) & 0xFFFFFF);
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")));
    }
  }
}
