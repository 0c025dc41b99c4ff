package dev.unroll.optim.train;

import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves the data set names of a {@link RunConfig} to data. The configuration records only
 * names (and subset indices), so the caller decides where data comes from: sets built in memory
 * ({@link #of}), or the named sets of the project's data folder ({@link #registry}). Must be safe
 * to call from several threads ({@link Trainer#trainAll} resolves in each worker).
 */
@FunctionalInterface
public interface DataSource {
  /** The data set called {@code name}, or null when this source has none of that name. */
  Dataset get(String name);

  /** The given sets, each under its {@link Dataset#name()}; names must be distinct. */
  static DataSource of(Dataset... sets) {
    Map<String, Dataset> m = new LinkedHashMap<>();
    for (Dataset d : sets) {
      if (m.put(d.name(), d) != null) throw new IllegalArgumentException("two data sets are called '" + d.name() + "'; rename one with withName");
    }
    return of(m);
  }

  /** The sets of {@code byName}. */
  static DataSource of(Map<String, Dataset> byName) {
    Map<String, Dataset> copy = Map.copyOf(byName);
    return name -> {
      Dataset d = copy.get(name);
      if (d == null) throw new IllegalArgumentException("no data set '" + name + "' in this data source; it has " + copy.keySet());
      return d;
    };
  }

  /** The named sets of a data folder ({@link DataSets#get(String)}), each loaded once. */
  static DataSource registry(DataSets sets) {
    return cached(sets::get);
  }

  /** {@code source} with each name resolved once and remembered (thread-safe). */
  static DataSource cached(DataSource source) {
    ConcurrentHashMap<String, Dataset> memo = new ConcurrentHashMap<>();
    return name -> memo.computeIfAbsent(name, source::get);
  }
}
