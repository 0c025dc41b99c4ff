/** Unroll module `optim`. */
package dev.unroll.optim;
