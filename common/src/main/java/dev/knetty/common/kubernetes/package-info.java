/**
 * What the autoscaler and the activator agree on when they run on Kubernetes, in plain Java (no
 * Kubernetes client here): the {@code knetty.dev/*} labels and annotations ({@link
 * dev.knetty.common.kubernetes.KnettyKeys}), their lenient reader ({@link
 * dev.knetty.common.kubernetes.KnettyAnnotations}), the queue-proxy's ports ({@link
 * dev.knetty.common.kubernetes.QueueProxyPorts}) and typed reads of the chart's environment
 * variables ({@link dev.knetty.common.kubernetes.Environment}).
 */
package dev.knetty.common.kubernetes;
