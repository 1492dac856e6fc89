package org.besip.runtime.it;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.besip.core.internal.feature.Feature;
import org.besip.core.internal.feature.FeatureBundle;
import org.besip.core.internal.feature.FeatureReader;
import org.ops4j.pax.exam.Option;

/**
 * Pax Exam options that boot exactly the base feature of the built distribution
 * ({@code runtime/target/besip}), each bundle at its start order, with a fresh data directory.
 */
public final class BesipOptions {

    private BesipOptions() {
    }

    public static Path dist() {
        return Path.of(System.getProperty("besip.dist", "target/besip")).toAbsolutePath();
    }

    /** Adds optional features (and their bundles) before the box boots. */
    public interface Setup {
        void prepare(Path features, Path bundles) throws Exception;
    }

    public static Option[] base(String testName) throws Exception {
        return base(testName, (features, bundles) -> { });
    }

    public static Option[] base(String testName, Setup setup) throws Exception {
        Path dist = dist();
        Path work = Files.createTempDirectory("besip-it-" + testName);
        Path features = work.resolve("features");
        Files.createDirectories(features);
        Files.copy(dist.resolve("features/base.json"), features.resolve("base.json"));
        // the box's bundles/ directory: the distribution's jars plus what the test adds
        Path bundlesDir = work.resolve("bundles");
        Files.createDirectories(bundlesDir);
        try (var jars = Files.list(dist.resolve("bundles"))) {
            for (Path jar : jars.toList()) {
                Files.createSymbolicLink(bundlesDir.resolve(jar.getFileName()), jar);
            }
        }
        setup.prepare(features, bundlesDir);
        Feature base = FeatureReader.johnzon().read(features.resolve("base.json"));
        List<Option> options = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (FeatureBundle fb : base.bundles()) {
            Path jar = dist.resolve("bundles").resolve(fb.fileName());
            options.add(bundle(jar.toUri().toString()).startLevel(fb.startOrder()));
            names.add(symbolicName(jar));
        }
        // the probe cannot see core's internal packages: hand it the expected names
        options.add(frameworkProperty("besip.it.base").value(String.join(",", names)));
        String repo = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
        options.add(junitBundles());
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        options.add(systemProperty("org.ops4j.pax.url.mvn.localRepository").value(repo));
        options.add(systemProperty("org.ops4j.pax.url.mvn.repositories").value("https://repo1.maven.org/maven2@id=central"));
        options.add(frameworkStartLevel(30));
        options.add(cleanCaches(true));
        options.add(frameworkProperty("besip.home").value(dist.toString()));
        options.add(frameworkProperty("besip.bundles").value(bundlesDir.toString()));
        options.add(frameworkProperty("besip.features").value(features.toString()));
        options.add(frameworkProperty("besip.data").value(work.resolve("data").toString()));
        options.add(frameworkProperty("besip.it.fixtures").value(work.resolve("fixtures").toString()));
        options.add(frameworkProperty("org.osgi.service.http.port").value(String.valueOf(freePort())));
        options.add(frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"));
        options.add(frameworkProperty("besip.netconf.port").value(String.valueOf(freePort())));
        options.add(frameworkProperty("besip.netconf.host").value("127.0.0.1"));
        options.add(frameworkProperty("felix.webconsole.security.providers").value("besip"));
        return options.toArray(new Option[0]);
    }

    static String symbolicName(Path jar) throws IOException {
        try (var jf = new java.util.jar.JarFile(jar.toFile())) {
            return jf.getManifest().getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].trim();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
