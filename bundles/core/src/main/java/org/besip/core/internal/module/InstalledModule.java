package org.besip.core.internal.module;

import java.util.List;

/**
 * What the module manager remembers of an installed module, across restarts.
 *
 * @param source {@code feature} or {@code upload}
 */
record InstalledModule(String name, String source, boolean enabled, List<String> requires,
        List<InstalledBundle> bundles) {

    InstalledModule {
        requires = List.copyOf(requires);
        bundles = List.copyOf(bundles);
    }

    InstalledModule withEnabled(boolean on) {
        return new InstalledModule(name, source, on, requires, bundles);
    }

    InstalledModule withBundle(InstalledBundle replaced) {
        return new InstalledModule(name, source, enabled, requires, bundles.stream()
                .map(b -> b.symbolicName().equals(replaced.symbolicName()) ? replaced : b).toList());
    }

    /** The framework location under which the module manager installs a module's bundle. */
    static String location(String module, String symbolicName) {
        return "besip:" + module + "/" + symbolicName;
    }

    /** One bundle: which jar holds its current version. */
    record InstalledBundle(String symbolicName, String version, String file, int startOrder) {
    }
}
