package org.besip.core.internal.module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipException;

import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleException.Reason;
import org.osgi.framework.Version;

/** The identity of a bundle jar on disk, read from its manifest. */
record BundleJar(Path file, String symbolicName, String version, String moduleHeader) {

    /** Manifest header a bundle may carry to name the module it forms when uploaded alone. */
    static final String MODULE_HEADER = "Besip-Module";

    static BundleJar read(Path file, String what) throws ModuleException {
        try (JarFile jar = new JarFile(file.toFile())) {
            var manifest = jar.getManifest();
            if (manifest == null) {
                throw new ModuleException(Reason.INVALID_INPUT, what + " is not an OSGi bundle: the jar has no manifest");
            }
            Attributes main = manifest.getMainAttributes();
            String bsn = main.getValue("Bundle-SymbolicName");
            if (bsn == null || bsn.isBlank() || !"2".equals(trim(main.getValue("Bundle-ManifestVersion")))) {
                throw new ModuleException(Reason.INVALID_INPUT,
                        what + " is not an OSGi bundle: its manifest has no Bundle-SymbolicName or Bundle-ManifestVersion 2");
            }
            int semi = bsn.indexOf(';');
            bsn = (semi < 0 ? bsn : bsn.substring(0, semi)).trim();
            String version;
            try {
                version = Version.parseVersion(trim(main.getValue("Bundle-Version"))).toString();
            } catch (IllegalArgumentException e) {
                throw new ModuleException(Reason.INVALID_INPUT, what + ": Bundle-Version is not a version: " + e.getMessage());
            }
            return new BundleJar(file, bsn, version, trim(main.getValue(MODULE_HEADER)));
        } catch (ZipException e) {
            throw new ModuleException(Reason.INVALID_INPUT, what + " is not a jar file");
        } catch (IOException e) {
            throw new ModuleException(Reason.INVALID_INPUT, what + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }
}
