package org.besip.core.internal.feature;

import java.util.List;
import java.util.Map;

/**
 * A feature file (feature-model JSON, Apache Sling dialect, keeping to the keys the OSGi R8
 * Feature specification shares) with besip's module extension.
 *
 * @param id             Maven coordinates {@code group:artifact:version}
 * @param module         the module's short name (extension {@code besip-module}, else the artifact)
 * @param required       a core module: always on, never disabled or removed
 * @param enabled        enabled when first installed
 * @param requires       modules that must be enabled before this one
 * @param configurations default configurations, PID to properties, applied when none exist
 */
public record Feature(String id, String module, String version, String title, boolean required,
        boolean enabled, List<String> requires, List<FeatureBundle> bundles,
        Map<String, Map<String, Object>> configurations) {

    public Feature {
        requires = List.copyOf(requires);
        bundles = List.copyOf(bundles);
        configurations = Map.copyOf(configurations);
    }
}
