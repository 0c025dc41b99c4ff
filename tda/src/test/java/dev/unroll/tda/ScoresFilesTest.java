package dev.unroll.tda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FactorStore;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerCurvature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scores and factors on disk. */
class ScoresFilesTest {
  @TempDir Path dir;

  @Test
  void scoresRoundTripThroughNpyAndJson() throws Exception {
    Scores s = Scores.pairwise("influence/ekfac", new double[][] {{1.5, -2, 1e-300}, {0, 3, Double.MIN_VALUE}}, Map.of("damping", "0.1*mean_eigenvalue", Scores.EFFECT_SCALE, "0.25"));
    Path f = dir.resolve("s.npy");
    s.save(f);
    assertTrue(Files.isRegularFile(dir.resolve("s.json")));
    Scores back = Scores.load(f);
    assertEquals(s.method(), back.method());
    assertEquals(s.settings(), back.settings());
    for (int q = 0; q < 2; q++) assertArrayEquals(s.values()[q], back.values()[q]);
    assertEquals(0.25, back.effectScale());
    Scores self = Scores.selfInfluence("influence/ekfac", new double[] {1, 2, 3}, Map.of());
    self.save(dir.resolve("self.npy"));
    assertTrue(Scores.load(dir.resolve("self.npy")).isSelfInfluence());
    assertArrayEquals(new double[] {1, 2, 3}, Scores.load(dir.resolve("self.npy")).selfValues());
    // A sidecar that disagrees with the array is refused.
    Files.writeString(dir.resolve("s.json"), Files.readString(dir.resolve("s.json")).replace("\"train\": 3", "\"train\": 4"));
    CorruptFileException e = assertThrows(CorruptFileException.class, () -> Scores.load(f));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
  }

  @Test
  void cachedFactorsAreReusedOnlyForTheSameArguments() {
    AttributionTask t = Fixtures.classification(61, 10, 1, 3, 3, 4, 3);
    List<Tensor> p = Fixtures.values(t.model());
    FitOptions o = FitOptions.defaults().withSeed(5).withBatchSize(4);
    Path f = dir.resolve("ekfac.safetensors");
    assertFalse(FactorStore.exists(f));
    KroneckerCurvature fitted = KroneckerCurvature.fitOrLoad(f, "ekfac", t, p, o);
    assertTrue(FactorStore.exists(f));
    KroneckerCurvature loaded = KroneckerCurvature.fitOrLoad(f, "ekfac", t, p, o.withBatchSize(3));
    for (int b = 0; b < t.layout().numBlocks(); b++) {
      assertArrayEquals(fitted.layer(b).lambda().toDoubleArray(), loaded.layer(b).lambda().toDoubleArray());
      assertArrayEquals(fitted.layer(b).qS().toDoubleArray(), loaded.layer(b).qS().toDoubleArray());
    }
    FactorStore.MismatchException seed = assertThrows(FactorStore.MismatchException.class, () -> KroneckerCurvature.fitOrLoad(f, "ekfac", t, p, o.withSeed(6)));
    assertEquals(1, seed.differences().size());
    assertTrue(seed.differences().get(0).startsWith("seed: stored 5, requested 6"), seed.differences().toString());
    List<Tensor> moved = Fixtures.train(t, 1, 0.1, 0);
    FactorStore.MismatchException params = assertThrows(FactorStore.MismatchException.class, () -> KroneckerCurvature.fitOrLoad(f, "ekfac", t, moved, o));
    assertTrue(params.getMessage().contains("parameters_sha256"), params.getMessage());
    assertThrows(FactorStore.MismatchException.class, () -> KroneckerCurvature.fitOrLoad(f, "kfac", t, p, o));
    assertThrows(FactorStore.MismatchException.class, () -> KroneckerCurvature.fitOrLoad(f, "ekfac", t, p, o.withFisher(dev.unroll.tda.curvature.FisherType.EMPIRICAL)));
    AttributionTask otherData = t.withTrain(t.train().subset(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}));
    assertThrows(FactorStore.MismatchException.class, () -> KroneckerCurvature.fitOrLoad(f, "ekfac", otherData, p, o));
    // Refused, never overwritten.
    assertArrayEquals(fitted.layer(0).lambda().toDoubleArray(), KroneckerCurvature.fitOrLoad(f, "ekfac", t, p, o).layer(0).lambda().toDoubleArray());
    assertEquals(Ekfac.settings(t, p, o).get("train_sha256"), FactorStore.arguments(f).get("train_sha256"));
  }

  @Test
  void covariancesRoundTripAndAreRefusedForOtherArguments() {
    AttributionTask t = Fixtures.conv(62, 5, 1);
    List<Tensor> p = Fixtures.values(t.model());
    FitOptions o = FitOptions.defaults().withSeed(2);
    dev.unroll.tda.curvature.KroneckerFactors f = Ekfac.covariances(t, p, o);
    Path file = dir.resolve("cov.safetensors");
    f.save(file);
    dev.unroll.tda.curvature.KroneckerFactors back = dev.unroll.tda.curvature.KroneckerFactors.load(file, t.layout(), Ekfac.settings(t, p, o));
    for (int b = 0; b < t.layout().numBlocks(); b++) {
      assertArrayEquals(f.a().get(b).toDoubleArray(), back.a().get(b).toDoubleArray());
      assertArrayEquals(f.s().get(b).toDoubleArray(), back.s().get(b).toDoubleArray());
      assertEquals(f.rowsPerExample()[b], back.rowsPerExample()[b]);
    }
    assertEquals(f.examples(), back.examples());
    assertThrows(FactorStore.MismatchException.class, () -> dev.unroll.tda.curvature.KroneckerFactors.load(file, t.layout(), Ekfac.settings(t, p, o.withSamples(2))));
  }
}
