/**
 * Knative's consistent subsetting ({@code knative.dev/pkg/hash}): which activators front a
 * revision, computed the same way by every component.
 */
package dev.knetty.common.subset;
