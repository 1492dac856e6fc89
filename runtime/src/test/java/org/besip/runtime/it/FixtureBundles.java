package org.besip.runtime.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Builds the test modules: bundles with one DS component ({@code org.besip.it.fixture.Greeter})
 * that registers a {@code java.util.function.Supplier} with properties {@code besip.fixture}
 * (the module) and {@code fixture.version}. Plain JDK jar writing, so it works inside and
 * outside the framework.
 */
public final class FixtureBundles {

    private FixtureBundles() {
    }

    /** A module bundle named {@code module} at {@code version}. */
    public static Path module(Path dir, String module, String version) throws IOException {
        return write(dir.resolve(module + "-" + version + ".jar"), module, version, null, true);
    }

    /** Same symbolic name, but it imports a package nobody exports, so it never resolves. */
    public static Path unresolvable(Path dir, String module, String version) throws IOException {
        return write(dir.resolve(module + "-" + version + "-broken.jar"), module, version,
                "org.besip.nowhere;version=\"[9,10)\"", true);
    }

    /**
     * A module with configuration: YANG module {@code fixture-<module>} (container {@code settings}
     * with leaf {@code greeting}) and a ConfigApplier that records what it is given.
     */
    public static Path configurable(Path dir, String module, String version) throws IOException {
        Path jar = dir.resolve(module + "-" + version + "-configurable.jar");
        Files.createDirectories(dir);
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "org.besip.it." + module);
        a.putValue("Bundle-Version", version);
        a.putValue("Besip-Module", module);
        a.putValue("Service-Component", "OSGI-INF/applier.xml");
        a.putValue("Import-Package", "org.besip.core.api.config;version=\"[1.0,2)\",org.osgi.framework,org.w3c.dom,"
                + "javax.xml.transform,javax.xml.transform.dom,javax.xml.transform.stream");
        String yangModule = "fixture-" + module;
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            String cls = "org/besip/it/fixture/RecordingApplier.class";
            entry(j, cls, classBytes(cls));
            entry(j, "OSGI-INF/applier.xml", ("""
                    <?xml version="1.0" encoding="UTF-8"?>
                    <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="%s.applier" immediate="true">
                      <implementation class="org.besip.it.fixture.RecordingApplier"/>
                      <service><provide interface="org.besip.core.api.config.ConfigApplier"/></service>
                      <property name="besip.yang.module" value="%s"/>
                    </scr:component>
                    """.formatted(module, yangModule)).getBytes(StandardCharsets.UTF_8));
            entry(j, "yang/" + yangModule + ".yang", ("""
                    module %s {
                      yang-version 1.1;
                      namespace "urn:besip:it:%s";
                      prefix f;
                      description "A test module's configuration.";
                      revision 2026-11-26 { description "Initial revision."; }
                      container settings {
                        description "Settings.";
                        leaf greeting {
                          type string { length "1..20"; }
                          default "hello";
                          description "What the module says.";
                        }
                      }
                    }
                    """.formatted(yangModule, module)).getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private static void entry(JarOutputStream j, String name, byte[] content) throws IOException {
        j.putNextEntry(new JarEntry(name));
        j.write(content);
        j.closeEntry();
    }

    /** A jar whose manifest has no Bundle-SymbolicName. */
    public static Path notABundle(Path dir) throws IOException {
        return write(dir.resolve("plain.jar"), null, "1.0.0", null, false);
    }

    private static Path write(Path jar, String module, String version, String imports, boolean osgi) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (osgi) {
            a.putValue("Bundle-ManifestVersion", "2");
            a.putValue("Bundle-SymbolicName", "org.besip.it." + module);
            a.putValue("Bundle-Version", version);
            a.putValue("Besip-Module", module);
            a.putValue("Service-Component", "OSGI-INF/greeter.xml");
            if (imports != null) {
                a.putValue("Import-Package", imports);
            }
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            String cls = "org/besip/it/fixture/Greeter.class";
            entry(j, cls, classBytes(cls));
            if (osgi) {
                entry(j, "OSGI-INF/greeter.xml", ("""
                        <?xml version="1.0" encoding="UTF-8"?>
                        <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="%s.greeter" immediate="true">
                          <implementation class="org.besip.it.fixture.Greeter"/>
                          <service><provide interface="java.util.function.Supplier"/></service>
                          <property name="besip.fixture" value="%s"/>
                          <property name="fixture.version" value="%s"/>
                        </scr:component>
                        """.formatted(module, module, version)).getBytes(StandardCharsets.UTF_8));
            }
        }
        return jar;
    }

    private static byte[] classBytes(String resource) throws IOException {
        try (InputStream in = FixtureBundles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the class path");
            }
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            return buf.toByteArray();
        }
    }

    /**
     * {@code jar} written again to {@code out} as {@code version} (its Bundle-Version), each entry
     * through {@code entry} (its name and bytes to the bytes written): "the next release" of a
     * shipped bundle, or a broken one.
     */
    public static Path rewrite(Path jar, String version, Path out, java.util.function.BiFunction<String, byte[], byte[]> entry)
            throws IOException {
        try (java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(Files.newInputStream(jar))) {
            Manifest mf = in.getManifest();
            mf.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (OutputStream os = Files.newOutputStream(out); JarOutputStream j = new JarOutputStream(os, mf)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    j.putNextEntry(new JarEntry(e.getName()));
                    j.write(entry.apply(e.getName(), in.readAllBytes()));
                    j.closeEntry();
                }
            }
        }
        return out;
    }

    /** {@code jar} as {@code version}, its content unchanged. */
    public static Path asVersion(Path jar, String version, Path out) throws IOException {
        return rewrite(jar, version, out, (name, bytes) -> bytes);
    }
}
