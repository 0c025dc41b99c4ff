package dev.unroll.tda.grad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Conv2d;
import dev.unroll.nn.Flatten;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Module;
import dev.unroll.nn.ReLU;
import dev.unroll.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Query blocks held in a Kronecker basis, u_q = Q_S M_q Q_Aᵀ, scored against explicit dot products
 * with the formed u_q. The identity ⟨Q_S M Q_Aᵀ, g āᵀ⟩ = ⟨M, (Q_Sᵀg)(Q_Aᵀā)ᵀ⟩ holds for any
 * square Q_S and Q_A, so random Gaussian bases test it as well as orthogonal ones.
 */
class BlockQueriesTest {
  @Test
  void eigenbasisQueriesGiveTheDotProductsOfTheFormedVectorsInEveryParameterDtype() {
    // The MLP's blocks take the rank-one path; the convolutions form u once and score it as it is.
    for (AttributionTask t64 : List.of(Fixtures.classification(81, 9, 1, 3, 3, 4, 3), Fixtures.conv(82, 7, 1))) {
      GradientLayout layout = t64.layout();
      Rng r = new Rng(83);
      int q = 3;
      RandomQueries rq = RandomQueries.of(layout, r, q);
      BlockQueries[] blocks = rq.eigen();
      Tensor u = rq.flat();
      for (AttributionTask t : List.of(t64, inFloat32(t64))) {
        // The reference runs in float64 at the values the scored model holds.
        List<Tensor> p = Fixtures.values(t.model()), p64 = new ArrayList<>();
        for (Tensor v : p) p64.add(v.to(DType.F64).contiguous());
        double[][] expected = GradientDotsTest.reference(t64, p64, u);
        double[][] actual = new double[q][t.numTrain()];
        GradientDots.accumulate(t, p, blocks, 4, 1.0, actual, null);
        DType dt = p.get(0).dtype();
        double err = Fixtures.relativeError(expected, actual);
        assertTrue(err < (dt == DType.F64 ? 1e-12 : 1e-4), t.model() + " in " + dt + ": relative error " + err);
      }
    }
  }

  /**
   * Queries given as outer products φ ⊙ (u vᵀ), formed by {@link OuterProductQueries#queries} in
   * the scored model's dtype, score exactly as the same M formed in float64 and given whole: the
   * one-pass formation rounds once, as the conversion of the formed M does.
   */
  @Test
  void outerProductQueriesEqualTheFormedMatrices() {
    AttributionTask t64 = Fixtures.classification(84, 9, 1, 3, 3, 4, 3);
    GradientLayout layout = t64.layout();
    Rng r = new Rng(85);
    int q = 5;
    Tensor[] qS = new Tensor[layout.numBlocks()], qA = new Tensor[layout.numBlocks()], u = new Tensor[layout.numBlocks()], v = new Tensor[layout.numBlocks()], phi = new Tensor[layout.numBlocks()];
    BlockQueries[] whole = new BlockQueries[layout.numBlocks()];
    for (int b = 0; b < whole.length; b++) {
      GradientLayout.Block bl = layout.block(b);
      qS[b] = Tensor.randn(r, DType.F64, bl.out(), bl.out());
      qA[b] = Tensor.randn(r, DType.F64, bl.in(), bl.in());
      u[b] = Tensor.randn(r, DType.F64, q, bl.out());
      v[b] = Tensor.randn(r, DType.F64, q, bl.in());
      phi[b] = Tensor.randn(r, DType.F64, bl.out(), bl.in());
      whole[b] = new BlockQueries.Eigenbasis(qS[b], qA[b], u[b].reshape(q, bl.out(), 1).mul(v[b].reshape(q, 1, bl.in())).mul(phi[b]));
    }
    for (AttributionTask t : List.of(t64, inFloat32(t64))) {
      List<Tensor> p = Fixtures.values(t.model());
      DType dt = p.get(0).dtype();
      BlockQueries[] factored = new BlockQueries[layout.numBlocks()];
      for (int b = 0; b < factored.length; b++) factored[b] = new BlockQueries.Eigenbasis(qS[b], qA[b], OuterProductQueries.queries(u[b], v[b], phi[b], dt));
      double[][] a = new double[q][t.numTrain()], c = new double[q][t.numTrain()];
      GradientDots.accumulate(t, p, factored, 4, 1.0, a, null);
      GradientDots.accumulate(t, p, whole, 4, 1.0, c, null);
      for (int i = 0; i < q; i++) assertArrayEquals(c[i], a[i], 0.0, dt + ", query " + i);
    }
  }

  /**
   * Scores summed over passes at several parameter values (SOURCE's checkpoints of a segment):
   * eigenbasis queries meet the passes' rotated factors together, in one product; plain queries add
   * the passes' dots. Both equal the explicit sum over the parameter values of the dot products with
   * the formed vectors, computed in float64.
   */
  @Test
  void scoresOverSeveralPassesEqualTheSumOfTheirDotProducts() {
    for (AttributionTask t64 : List.of(Fixtures.classification(86, 9, 1, 3, 3, 4, 3), Fixtures.conv(87, 7, 1))) {
      GradientLayout layout = t64.layout();
      Rng r = new Rng(88);
      int q = 4;
      RandomQueries rq = RandomQueries.of(layout, r, q);
      BlockQueries[] eigen = rq.eigen(), plain = rq.plain(DType.F64);
      Tensor u = rq.flat();
      // Three parameter values: the model's and two perturbations of it.
      List<List<Tensor>> sets = new ArrayList<>();
      List<Tensor> base = Fixtures.values(t64.model());
      for (int c = 0; c < 3; c++) {
        List<Tensor> p = new ArrayList<>();
        for (Tensor v : base) p.add(c == 0 ? v : v.add(Tensor.randn(r, DType.F64, v.shape()).mul(0.1)).contiguous());
        sets.add(p);
      }
      double[][] expected = new double[q][t64.numTrain()];
      for (List<Tensor> p : sets) {
        double[][] part = GradientDotsTest.reference(t64, p, u);
        for (int i = 0; i < q; i++) for (int n = 0; n < t64.numTrain(); n++) expected[i][n] += 0.5 * part[i][n];
      }
      for (BlockQueries[] blocks : List.of(eigen, plain)) {
        double[][] actual = new double[q][t64.numTrain()];
        GradientDots.accumulateOverPasses(t64, sets, blocks, 4, 0.5, actual, null);
        double err = Fixtures.relativeError(expected, actual);
        assertTrue(err < 1e-12, t64.model() + ", " + blocks[0].getClass().getSimpleName() + ": relative error " + err);
      }
      // In float32 the eigenbasis form sums the passes' outer products before the product, the
      // plain one after: equal to float32 rounding.
      AttributionTask t32 = inFloat32(t64);
      List<List<Tensor>> sets32 = new ArrayList<>();
      for (List<Tensor> p : sets) {
        List<Tensor> p32 = new ArrayList<>();
        for (Tensor v : p) p32.add(v.to(DType.F32).contiguous());
        sets32.add(p32);
      }
      double[][] e32 = new double[q][t32.numTrain()], p32 = new double[q][t32.numTrain()];
      GradientDots.accumulateOverPasses(t32, sets32, eigen, 4, 0.5, e32, null);
      BlockQueries[] plain32 = rq.plain(DType.F32);
      GradientDots.accumulateOverPasses(t32, sets32, plain32, 4, 0.5, p32, null);
      double err = Fixtures.relativeError(p32, e32);
      assertTrue(err < 1e-4, t64.model() + " in float32: relative error " + err);
    }
  }

  @Test
  void batchesGatheredForOneProductScoreAsEachBatchAlone() {
    // Eleven examples in batches of 4, 4 and 3, gathered into one product (float32 and float64,
    // eigenbasis and plain queries; a conv model, whose blocks take the plain path, too): the same
    // bits as scoring each batch on its own.
    for (AttributionTask t64 : List.of(Fixtures.classification(89, 11, 1, 3, 3, 4, 3), Fixtures.conv(90, 11, 1))) {
      for (AttributionTask t : List.of(t64, inFloat32(t64))) {
        GradientLayout layout = t.layout();
        Rng r = new Rng(91);
        int q = 3;
        RandomQueries rq = RandomQueries.of(layout, r, q);
        BlockQueries[] eigen = rq.eigen(), plain = rq.plain(t.model().parameters().get(0).dtype());
        List<Tensor> params = Fixtures.values(t.model());
        for (BlockQueries[] blocks : List.of(eigen, plain)) {
          double[][] gathered = new double[q][t.numTrain()], alone = new double[q][t.numTrain()];
          GradientDots.accumulate(t, params, blocks, 4, 1.0, gathered, null);
          Gradients.forEachTrainingBatch(t, params, 4, tb -> {
            Tensor total = null;
            for (int k = 0; k < blocks.length; k++) {
              Tensor d = blocks[k].dots(tb.pass(), k, tb.outputGradients());
              total = total == null ? d : total.add(d);
            }
            double[] d = total.toDoubleArray();
            for (int i = 0; i < q; i++) for (int n = 0; n < tb.size(); n++) alone[i][tb.start() + n] = d[i * tb.size() + n];
          });
          for (int i = 0; i < q; i++) assertArrayEquals(alone[i], gathered[i], t.model() + ", " + blocks[0].getClass().getSimpleName() + ", query " + i);
        }
      }
    }
  }

  @Test
  void partsOfOneBlockMustBeOfOneKindToBeGathered() {
    BlockQueries.Part dots = new BlockQueries.Dots(Tensor.zeros(DType.F64, 2, 3));
    BlockQueries.Part factors = new BlockQueries.Factors(Tensor.zeros(DType.F64, 3, 4), Tensor.zeros(DType.F64, 3, 5));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BlockQueries.Part.concat(List.of(dots, factors)));
    assertTrue(e.getMessage().contains("Dots") && e.getMessage().contains("Factors"), e.getMessage());
    BlockQueries.Factors two = (BlockQueries.Factors) BlockQueries.Part.concat(List.of(factors, factors));
    assertArrayEquals(new int[] {6, 4}, two.x().shape());
    assertArrayEquals(new int[] {6, 5}, two.y().shape());
    assertArrayEquals(new int[] {2, 6}, ((BlockQueries.Dots) BlockQueries.Part.concat(List.of(dots, dots))).d().shape());
  }

  /**
   * Per block of a layout, Gaussian bases Q_S [out, out], Q_A [in, in] and matrices M [Q, out, in]
   * (float64, drawn in that order) as eigenbasis queries, and the formed u = Q_S M_q Q_Aᵀ.
   */
  private record RandomQueries(BlockQueries[] eigen, List<Tensor> formed) {
    static RandomQueries of(GradientLayout layout, Rng r, int q) {
      BlockQueries[] eigen = new BlockQueries[layout.numBlocks()];
      List<Tensor> formed = new ArrayList<>();
      for (int b = 0; b < eigen.length; b++) {
        GradientLayout.Block bl = layout.block(b);
        Tensor qS = Tensor.randn(r, DType.F64, bl.out(), bl.out()), qA = Tensor.randn(r, DType.F64, bl.in(), bl.in());
        Tensor m = Tensor.randn(r, DType.F64, q, bl.out(), bl.in());
        eigen[b] = new BlockQueries.Eigenbasis(qS, qA, m);
        formed.add(qS.matmul(m).matmul(qA.t()));
      }
      return new RandomQueries(eigen, formed);
    }

    /** The formed vectors as plain queries [Q, out, in] in {@code dtype}. */
    BlockQueries[] plain(DType dtype) {
      BlockQueries[] out = new BlockQueries[formed.size()];
      for (int b = 0; b < out.length; b++) out[b] = new BlockQueries.Plain(formed.get(b).to(dtype).contiguous());
      return out;
    }

    /** The formed vectors as rows [Q, P] in block order (float64). */
    Tensor flat() {
      Tensor[] rows = new Tensor[formed.size()];
      for (int b = 0; b < rows.length; b++) rows[b] = formed.get(b).reshape(formed.get(b).dim(0), formed.get(b).numel() / formed.get(b).dim(0));
      return dev.unroll.autodiff.Ops.concat(1, rows);
    }
  }

  /** The same task with a float32 copy of its model (the values rounded, the architecture as it is). */
  private static AttributionTask inFloat32(AttributionTask t) {
    Module m = t.model() instanceof Mlp
        ? Mlp.of(DType.F32, new Rng(0), Activation.TANH, 3, 4, 3)
        : new Sequential(
            new Conv2d(2, 3, 3, 1, 1, DType.F32, new Rng(0)), new ReLU(),
            new Conv2d(3, 2, 3, 3, 2, 0, false, DType.F32, new Rng(0)), new Flatten(),
            new Linear(8, 3, DType.F32, new Rng(0)));
    List<Tensor> from = Fixtures.values(t.model());
    for (int i = 0; i < from.size(); i++) m.parameters().get(i).value().copyFrom(from.get(i).to(DType.F32));
    return new AttributionTask(m, t.loss(), t.measurement(), t.train(), t.queries());
  }
}
