package dev.unroll.nn.data;

/** A training set and a held-out set (queries, evaluation). */
public record TrainTest(Dataset train, Dataset test) {}
