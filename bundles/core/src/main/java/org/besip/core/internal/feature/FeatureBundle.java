package org.besip.core.internal.feature;

/**
 * One bundle of a feature, by Maven coordinates; the distribution keeps it as
 * {@code bundles/<artifact>-<version>.jar}.
 */
public record FeatureBundle(String groupId, String artifactId, String version, int startOrder) {

    public String fileName() {
        return artifactId + "-" + version + ".jar";
    }

    public String id() {
        return groupId + ":" + artifactId + ":" + version;
    }
}
