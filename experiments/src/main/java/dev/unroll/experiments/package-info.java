/** Unroll module `experiments`. */
package dev.unroll.experiments;
