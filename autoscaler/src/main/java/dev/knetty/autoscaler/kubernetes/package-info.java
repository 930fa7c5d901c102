/**
 * The autoscaler on Kubernetes ({@link dev.knetty.autoscaler.kubernetes.KubernetesAutoscaler}):
 * Deployments labelled {@code knetty.dev/revision} are revisions, read and checked by a revision
 * source on a Deployment informer (problems become Warning Events on the Deployment); the scaler
 * scales them through the {@code scale} subresource and counts ready pods from the private
 * Service's EndpointSlices; the reconciler owns each revision's private and public Services and the
 * public EndpointSlice (the activator subset in proxy mode, the pods in serve mode); Lease leader
 * election decides the one replica that actuates, which also publishes itself as the KMP Service's
 * only endpoint so that it receives the stats.
 *
 * <p>The pieces that other packages use: {@link dev.knetty.autoscaler.kubernetes.KnettyKeys} (the
 * labels and annotations), {@link dev.knetty.autoscaler.kubernetes.KnettyAnnotations} (the lenient
 * reader of the {@code knetty.dev/*} annotations), {@link
 * dev.knetty.autoscaler.kubernetes.RevisionPods} (serving container, queue-proxy ports), {@link
 * dev.knetty.autoscaler.kubernetes.KubernetesConfig} and {@link
 * dev.knetty.autoscaler.kubernetes.Environment} (settings from the chart's variables). See {@code
 * docs/kubernetes.md}.
 */
package dev.knetty.autoscaler.kubernetes;
