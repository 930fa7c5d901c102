package dev.knetty.common.kmp;

/**
 * A KMP message: what one frame (or, for a large {@link StatBatch} or {@link Decisions}, a run of
 * frames) carries. The encoder and decoder work on these; applications see {@link StatBatch} and
 * {@link Decisions} only.
 */
public sealed interface KmpMessage permits Hello, ErrorMessage, Heartbeat, StatBatch, Decisions {}
