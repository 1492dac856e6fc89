package org.besip.core.api.module;

import java.util.List;

/**
 * What the box knows of one module.
 *
 * @param name     short name, e.g. {@code pbx}
 * @param version  the feature's version for a module from features/, the bundle's for an uploaded one
 * @param state    installed and running or not
 * @param required core modules cannot be disabled or removed
 * @param source   {@code feature} for a module described in {@code features/}, {@code upload}
 *                 for one installed from an uploaded bundle
 * @param bundles  the module's bundles
 * @param requires names of the modules this one needs
 * @param message  why the module is {@link ModuleState#FAILED}, else empty
 */
public record ModuleInfo(String name, String version, ModuleState state, boolean required,
        String source, List<BundleInfo> bundles, List<String> requires, String message) {

    public ModuleInfo {
        bundles = List.copyOf(bundles);
        requires = List.copyOf(requires);
        message = message == null ? "" : message;
    }
}
