package org.besip.core.api.module;

/** One bundle of a module, as the framework sees it now. */
public record BundleInfo(long id, String symbolicName, String version, String state) {
}
