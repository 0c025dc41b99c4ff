/**
 * Exact unrolled differentiation through a recorded training run (method.md §2):
 * {@link dev.unroll.tda.unroll.ExactUnroll}.
 */
package dev.unroll.tda.unroll;
