/**
 * {@code knetty local}: the autoscaler and the activator in one JVM, scaling revisions as local
 * processes. Each pod is a real queue-proxy process in front of a real app process on free loopback
 * ports; {@link dev.knetty.dist.local.LocalScaler} starts and stops them behind the autoscaler's
 * {@link dev.knetty.autoscaler.Scaler} SPI and feeds the activator's endpoints. See {@code
 * docs/local.md}.
 */
package dev.knetty.dist.local;
