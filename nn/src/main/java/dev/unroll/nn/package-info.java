/** Unroll module `nn`. */
package dev.unroll.nn;
