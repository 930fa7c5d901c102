/**
 * How the activator learns revisions and their pods: the {@link
 * dev.knetty.activator.endpoints.EndpointSource} SPI, with a reloaded file ({@link
 * dev.knetty.activator.endpoints.FileEndpointSource}) and a programmatic source ({@link
 * dev.knetty.activator.endpoints.InMemoryEndpointSource}); the Kubernetes one is in {@code
 * dev.knetty.activator.kubernetes}.
 */
package dev.knetty.activator.endpoints;
