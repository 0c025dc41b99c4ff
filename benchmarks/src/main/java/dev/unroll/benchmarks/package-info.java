/** Unroll module `benchmarks`. */
package dev.unroll.benchmarks;
