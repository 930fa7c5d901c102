/**
 * Knative's request breaker, non-blocking: {@link dev.knetty.common.breaker.Breaker} with its
 * {@link dev.knetty.common.breaker.BreakerConfig}, the {@link dev.knetty.common.breaker.Permit} a
 * request holds while it executes, and the {@link dev.knetty.common.breaker.QueueFullException} an
 * overloaded breaker answers with.
 */
package dev.knetty.common.breaker;
