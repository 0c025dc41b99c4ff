/** Unroll module `tda`. */
package dev.unroll.tda;
