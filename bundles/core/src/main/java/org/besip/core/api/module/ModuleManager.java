package org.besip.core.api.module;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Installs, upgrades, enables, disables and removes besip modules. A module is a feature: a set
 * of bundles managed as a unit. Operations on one module never stop another module's bundles.
 * Every operation either happens completely or throws {@link ModuleException} and leaves the
 * module as it was.
 */
@ProviderType
public interface ModuleManager {

    /** Every module the box knows: installed ones and those available in {@code features/}. */
    List<ModuleInfo> list();

    Optional<ModuleInfo> get(String name);

    /** Installs a module described by a feature in {@code features/}, enabled if it says so. */
    ModuleInfo install(String name) throws ModuleException;

    /**
     * Installs an uploaded bundle jar as a module of its own and enables it. The module is named
     * by the bundle's {@code Besip-Module} header, else by its symbolic name.
     */
    ModuleInfo installBundle(InputStream jar) throws ModuleException;

    /**
     * Replaces the module's bundle that has the same symbolic name as the uploaded jar with the
     * new version, refreshing only the bundles wired to it. If the new version does not resolve
     * or start, the old one is put back and the exception says why.
     */
    ModuleInfo upgrade(String name, InputStream jar) throws ModuleException;

    ModuleInfo enable(String name) throws ModuleException;

    ModuleInfo disable(String name) throws ModuleException;

    /** Uninstalls the module's bundles; its configuration stays, so re-installing restores it. */
    void remove(String name) throws ModuleException;
}
