package dev.unroll.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.util.ListStatistics;

/** The arithmetic of the benchmark table: quantiles in milliseconds, rates, peaks and the machine's nominal figures. */
class ReportTest {
  @Test
  void timesPerOperationAreConvertedToMilliseconds() {
    // Samples 1..9 us: median 5, quartiles 3 and 7 (linear interpolation on 9 points), extremes 1 and 9.
    ListStatistics s = new ListStatistics(new double[] {9, 1, 8, 2, 7, 3, 6, 4, 5});
    Figure f = Figure.of("X.y", Map.of("b", "2", "a", "1"), "avgt", s, "us/op");
    assertEquals(5e-3, f.medianMs(), 1e-15);
    assertEquals(1e-3, f.minMs(), 1e-15);
    assertEquals(9e-3, f.maxMs(), 1e-15);
    assertTrue(f.p10Ms() < f.p25Ms() && f.p25Ms() < f.medianMs() && f.medianMs() < f.p75Ms());
    assertEquals(9, f.samples());
    assertEquals("X.y a=1 b=2", f.key(), "parameters are sorted by name");
    assertTrue(Double.isNaN(f.gflops()));
  }

  @Test
  void ratesAreInvertedWithTheirQuantilesSwapped() {
    // 100, 200, 400 ops/s are 10, 5, 2.5 ms per op.
    ListStatistics s = new ListStatistics(new double[] {100, 200, 400});
    Figure f = Figure.of("X.y", Map.of(), "thrpt", s, "ops/s");
    assertEquals(5.0, f.medianMs(), 1e-12);
    assertEquals(2.5, f.minMs(), 1e-12);
    assertEquals(10.0, f.maxMs(), 1e-12);
    assertTrue(f.p25Ms() <= f.medianMs() && f.medianMs() <= f.p75Ms());
    assertTrue(f.minMs() <= f.p10Ms() && f.p10Ms() <= f.p25Ms(), "the fastest decile of the rates' inverse");
  }

  @Test
  void unknownUnitsAreRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> Figure.of("X.y", Map.of(), "avgt", new ListStatistics(new double[] {1}), "GB/s"));
    assertTrue(e.getMessage().contains("X.y") && e.getMessage().contains("GB/s"), e.getMessage());
  }

  @Test
  void gemmWorkIsTwoMnk() {
    assertEquals(2.0 * 128 * 256 * 784, Flop.of("GemmBench.simd", Map.of("m", "128", "n", "256", "k", "784")));
    assertEquals(2.0 * 1024 * 1024 * 1024, Flop.of("GemmBench.simd", Map.of("size", "1024")));
    assertTrue(Double.isNaN(Flop.of("SgdStepBench.step", Map.of("size", "1024"))));
    // GemmBench's shapes: MxKxN with an optional transpose suffix, or sqS.
    assertEquals(2.0 * 784 * 128 * 256, Flop.of("GemmBench.simd", Map.of("shape", "784x128x256:TN")));
    assertEquals(2.0 * 512 * 512 * 512, Flop.of("GemmBench.simd", Map.of("shape", "sq512")));
    assertEquals(2.0 * 32 * 128 * 128, Flop.of("GemmBench.ScalarBaseline.scalar", Map.of("shape", "32x128x128")));
    assertTrue(Double.isNaN(Flop.of("GemmBench.simd", Map.of("shape", "12x3"))));
  }

  @Test
  void shortNamesDropThePackageOnly() {
    assertEquals("GemmBench.simd", Figure.shortName("dev.unroll.benchmarks.GemmBench.simd"));
    assertEquals("GemmBench.ScalarBaseline.scalar", Figure.shortName("dev.unroll.benchmarks.GemmBench.ScalarBaseline.scalar"));
  }

  @Test
  void gemmIsReportedAgainstThePeakOfItsTypeAndThreads() {
    ListStatistics one = new ListStatistics(new double[] {1.0});
    // A GEMM of 2·10⁹ flop in 20 ms is 100 GFLOP/s; a peak probe of p flop in 1 ms is p·10⁻⁶ GFLOP/s.
    Figure gemm = Figure.of("GemmBench.simd", Map.of("size", "1000", "dtype", "float32", "threads", "1"), "avgt", new ListStatistics(new double[] {20}), "ms/op");
    double peakFlop = PeakBench.flop("float32", 1);
    // Samples of 1×, 1.5× and 2× the time of 200 GFLOP/s: the fastest is the peak.
    double t = peakFlop / 200e6;
    Figure peak32 = Figure.of("PeakBench.fma", Map.of("dtype", "float32", "threads", "1"), "sample", new ListStatistics(new double[] {2 * t, t, 1.5 * t}), "ms/op");
    Figure peak64 = Figure.of("PeakBench.fma", Map.of("dtype", "float64", "threads", "1"), "avgt", one, "ms/op");
    Report r = new Report(Machine.parse("", 2), List.of(peak64, peak32, gemm), List.of(), List.of());
    assertEquals(100.0, gemm.gflops(), 1e-9);
    assertEquals(200.0, r.measuredPeak(false, 1), 1e-9);
    assertEquals(0.5, r.peakFraction(gemm), 1e-12);
    assertTrue(Double.isNaN(r.measuredPeak(false, 2)));
  }

  @Test
  void cpuinfoGivesTheNominalPeak() {
    String text = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\ncpu MHz\t\t: 3200.000\nflags\t\t: fpu sse2 avx fma avx2\n\nprocessor\t: 1\ncpu MHz\t\t: 1500.000\n";
    Machine m = Machine.parse(text, 2);
    assertEquals("AMD EPYC 7B13", m.model());
    assertEquals(3200.0, m.mhz());
    // AVX2 with FMA: 8 lanes · 2 · 2 pipes = 32 float32 flop per cycle, 16 float64.
    assertEquals(32, m.flopPerCycle(false));
    assertEquals(16, m.flopPerCycle(true));
    assertEquals(102.4, m.nominalGflops(false, 1), 1e-9);
    assertEquals(102.4, m.nominalGflops(true, 2), 1e-9);
    assertEquals(102.4, m.nominalGflops(true, 8), 1e-9, "threads beyond the cores add nothing");
    Machine avx512 = Machine.parse("flags : avx2 fma avx512f\n", 1);
    assertEquals(64, avx512.flopPerCycle(false));
    assertTrue(Double.isNaN(avx512.nominalGflops(false, 1)), "no clock reported");
  }

  @Test
  void commandLineIsChecked() {
    var a = BenchMain.Args.parse(new String[] {"--quick", "--json=out.json", "--include", "Sgd"});
    assertEquals(Suite.Selection.QUICK, a.selection());
    assertEquals("out.json", a.json());
    assertTrue(a.include().matcher("SgdStepBench.step").find());
    assertEquals(Suite.Selection.COMPARE, BenchMain.Args.parse(new String[] {"--compare", "--quick"}).selection());
    var e = assertThrows(IllegalArgumentException.class, () -> BenchMain.Args.parse(new String[] {"--quik"}));
    assertTrue(e.getMessage().contains("--quik"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BenchMain.Args.parse(new String[] {"--json"}));
    assertThrows(IllegalArgumentException.class, () -> BenchMain.Args.parse(new String[] {"--include", "("}));
  }
}
