/**
 * Knative's activator throttler, non-blocking: {@link
 * dev.knetty.activator.throttler.RevisionThrottler} (revision capacity, per-pod trackers,
 * subsetting across activators, load balancing) and the {@link
 * dev.knetty.activator.throttler.Lease} a request holds while it is proxied.
 */
package dev.knetty.activator.throttler;
