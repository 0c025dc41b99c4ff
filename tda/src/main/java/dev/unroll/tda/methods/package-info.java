/**
 * Attribution methods, all producing {@link dev.unroll.tda.Scores} in the project's sign convention:
 * {@link dev.unroll.tda.methods.InfluenceFunctions} with any
 * {@link dev.unroll.tda.methods.Preconditioner} from {@link dev.unroll.tda.methods.Preconditioners}
 * (explicit, CG, LiSSA, diagonal, K-FAC, EK-FAC, any spectral function), gradient dot product and
 * cosine ({@link dev.unroll.tda.methods.GradientSimilarity}), {@link dev.unroll.tda.methods.Trak},
 * {@link dev.unroll.tda.methods.RepresentationSimilarity} and
 * {@link dev.unroll.tda.methods.Ensembles}; each with its self-influence.
 */
package dev.unroll.tda.methods;
