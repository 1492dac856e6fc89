package org.besip.core.api.module;

public enum ModuleState {
    /** Described in {@code features/} but not installed. */
    AVAILABLE,
    /** Installed, bundles stopped. */
    DISABLED,
    /** Installed, bundles active. */
    ENABLED,
    /** Installed but a bundle does not resolve or start. */
    FAILED
}
