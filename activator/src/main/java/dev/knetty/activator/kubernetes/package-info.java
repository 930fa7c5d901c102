/**
 * The activator on Kubernetes ({@code knetty activator --kubernetes}): {@link
 * dev.knetty.activator.kubernetes.KubernetesEndpointSource} learns revisions from labelled
 * Deployments, their pods from the private Services' EndpointSlices and this activator's index
 * among a revision's activators from its public EndpointSlice, configured by {@link
 * dev.knetty.activator.kubernetes.KubernetesSourceConfig}. See {@code docs/kubernetes.md}.
 */
package dev.knetty.activator.kubernetes;
