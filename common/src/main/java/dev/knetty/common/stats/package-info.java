/**
 * Knative's per-window request statistics: {@link dev.knetty.common.stats.RequestStats} and the
 * {@link dev.knetty.common.stats.RequestStatsReport} each reporting tick produces.
 */
package dev.knetty.common.stats;
