package org.besip.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import org.besip.core.internal.feature.Feature;
import org.besip.core.internal.feature.FeatureBundle;
import org.besip.core.internal.feature.FeatureException;
import org.besip.core.internal.feature.FeatureReader;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.Version;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * Boots the box: checks what must hold before anything starts (configuration, data directory,
 * port), then starts Felix with the base features of {@code features/} and waits until the Web
 * Console answers. The core's module manager provisions the optional modules from there.
 */
final class Launcher {

    /** Above every base (1..9) and module (10..29) start level. */
    static final int FRAMEWORK_START_LEVEL = 30;
    static final long READY_TIMEOUT_MS = 60_000;

    private final LaunchConfig config;
    private final long t0;
    private Framework framework;
    private FileLock lock;

    Launcher(LaunchConfig config, long t0) {
        this.config = config;
        this.t0 = t0;
    }

    /** Everything up to a running framework; the caller then waits for it to stop. */
    Framework start() throws StartupException {
        Path data = config.data();
        prepareDataDirectory(data);
        checkPortFree(config.httpHost(), config.httpPort(), "Web Console (" + LaunchConfig.HTTP_PORT + ")");
        checkPortFree(config.netconfHost(), config.netconfPort(), "NETCONF server (" + LaunchConfig.NETCONF_PORT + ")");
        List<Feature> base = baseFeatures();
        PrintStream console;
        ConsoleLog.Limits logLimits = ConsoleLog.limits(config.properties());
        try {
            console = ConsoleLog.install(config.logs(), logLimits);
        } catch (IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "log directory " + config.logs()
                    + " is not writable: " + e.getMessage());
        }
        slf4jDefaults();
        try {
            framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                    .orElseThrow(() -> new StartupException(StartupException.RUNTIME, "no OSGi framework on the class path"))
                    .newFramework(frameworkProperties());
            framework.init();
            BundleContext ctx = framework.getBundleContext();
            ctx.registerService(PrintStream.class, console, new Hashtable<>(Map.of("besip.console", "true")));
            List<String> errors = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            ctx.addFrameworkListener(e -> {
                if (e.getType() == FrameworkEvent.ERROR && e.getBundle() != null) {
                    errors.add(e.getBundle().getSymbolicName() + ": " + rootMessage(e.getThrowable()));
                } else if (e.getType() == FrameworkEvent.STARTED) {
                    started.countDown();
                }
            });
            provision(ctx, base);
            framework.start();
            if (!started.await(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new StartupException(StartupException.RUNTIME, "the framework did not reach its start level in time");
            }
            List<String> failedBase = failedBaseBundles(ctx, base);
            if (!failedBase.isEmpty()) {
                throw new StartupException(StartupException.RUNTIME, "base bundles did not start: "
                        + String.join("; ", failedBase) + (errors.isEmpty() ? "" : " (" + String.join("; ", errors) + ")"));
            }
            awaitWebConsole();
            return framework;
        } catch (BundleException | IOException e) {
            stopQuietly();
            throw new StartupException(StartupException.RUNTIME, rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopQuietly();
            throw new StartupException(StartupException.RUNTIME, "interrupted while starting");
        } catch (StartupException e) {
            stopQuietly();
            throw e;
        }
    }

    void stop() {
        stopQuietly();
        try {
            if (lock != null) {
                lock.release();
                lock.channel().close();
            }
        } catch (IOException ignored) {
            // exiting anyway
        }
    }

    private void stopQuietly() {
        if (framework == null) {
            return;
        }
        try {
            framework.stop();
            framework.waitForStop(20_000);
        } catch (BundleException | InterruptedException ignored) {
            // exiting anyway
        }
    }

    private void prepareDataDirectory(Path data) throws StartupException {
        try {
            Files.createDirectories(data);
            Files.createDirectories(data.resolve("deploy"));
        } catch (IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "data directory " + data + " cannot be created: "
                    + e.getClass().getSimpleName().replace("Exception", "") + " " + e.getMessage());
        }
        Path probe = data.resolve(".write-test");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "data directory " + data + " is not writable");
        }
        try {
            FileChannel ch = FileChannel.open(data.resolve("besip.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                throw new StartupException(StartupException.ENVIRONMENT, "another besip is running on data directory " + data);
            }
        } catch (IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "cannot lock data directory " + data + ": " + e.getMessage());
        }
    }

    static void checkPortFree(String host, int port, String what) throws StartupException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (BindException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "port " + port + " on " + host + " for the "
                    + what + " is in use or not allowed: " + e.getMessage());
        } catch (IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "cannot listen on " + host + ":" + port
                    + " for the " + what + ": " + e.getMessage());
        }
    }

    private List<Feature> baseFeatures() throws StartupException {
        Path dir = config.home().resolve("features");
        FeatureReader reader = FeatureReader.johnzon();
        List<Feature> base = new ArrayList<>();
        try (var files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                Feature feature = reader.read(f);
                if (feature.required()) {
                    base.add(feature);
                }
            }
        } catch (FeatureException e) {
            throw new StartupException(StartupException.CONFIG, e.getMessage());
        } catch (IOException e) {
            throw new StartupException(StartupException.CONFIG, "cannot read " + dir + ": " + e.getMessage());
        }
        if (base.isEmpty()) {
            throw new StartupException(StartupException.CONFIG, dir + " holds no base feature (\"required\": true)");
        }
        return base;
    }

    private Map<String, String> frameworkProperties() {
        Path data = config.data();
        Map<String, String> p = new HashMap<>();
        p.put("org.osgi.framework.storage", data.resolve("cache").toString());
        p.put("org.osgi.framework.startlevel.beginning", String.valueOf(FRAMEWORK_START_LEVEL));
        p.put("felix.startlevel.bundle", "20");
        p.put("felix.log.level", "1");
        p.put("org.osgi.service.http.port", String.valueOf(config.httpPort()));
        p.put("org.apache.felix.http.host", config.httpHost());
        p.put("felix.webconsole.security.providers", "besip");
        // the data directory's deploy/ first (writable: what the operator drops in), then the
        // install's own (read-only on a box whose install is: what came with it)
        p.put("felix.fileinstall.dir", data.resolve("deploy") + "," + config.home().resolve("deploy"));
        p.put("felix.fileinstall.tmpdir", data.resolve("tmp").toString());
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.start.level", "20");
        p.put("felix.fileinstall.log.level", "2");
        p.put("besip.home", config.home().toString());
        p.put("besip.data", data.toString());
        p.put("besip.features", config.home().resolve("features").toString());
        p.put("besip.bundles", config.home().resolve("bundles").toString());
        p.putAll(config.properties());
        p.put("besip.data", data.toString());
        return p;
    }

    private static void slf4jDefaults() {
        Map<String, String> d = Map.of(
                "org.slf4j.simpleLogger.logFile", "System.out",
                "org.slf4j.simpleLogger.showDateTime", "true",
                "org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
                "org.slf4j.simpleLogger.showThreadName", "false",
                "org.slf4j.simpleLogger.defaultLogLevel", "info",
                "org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn",
                "org.slf4j.simpleLogger.log.org.apache.felix.http", "warn");
        d.forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
        // SPI Fly and the JDK log through java.util.logging: warnings and errors only
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    }

    /**
     * Installs each base bundle under {@code besip:<module>/<symbolic name>}, or updates it when
     * the distribution holds another version; marks it started at its start level. Bundles of a
     * base module that the distribution no longer lists are uninstalled.
     */
    static void provision(BundleContext ctx, List<Feature> base) throws StartupException, IOException, BundleException {
        Path bundlesDir = Path.of(ctx.getProperty("besip.bundles"));
        Set<String> wanted = new java.util.HashSet<>();
        for (Feature f : base) {
            List<FeatureBundle> ordered = f.bundles().stream().sorted(Comparator.comparingInt(FeatureBundle::startOrder)).toList();
            for (FeatureBundle fb : ordered) {
                Path jar = bundlesDir.resolve(fb.fileName());
                if (!Files.isRegularFile(jar)) {
                    throw new StartupException(StartupException.CONFIG, "feature " + f.module() + " lists " + fb.id()
                            + " but " + jar + " is missing");
                }
                String[] identity = identity(jar);
                String location = "besip:" + f.module() + "/" + identity[0];
                wanted.add(location);
                Bundle b = ctx.getBundle(location);
                if (b == null) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        b = ctx.installBundle(location, in);
                    }
                } else if (!b.getVersion().equals(Version.parseVersion(identity[1]))
                        || Files.getLastModifiedTime(jar).toMillis() > b.getLastModified()) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        b.update(in);
                    }
                }
                b.adapt(BundleStartLevel.class).setStartLevel(fb.startOrder());
                if (b.getHeaders("").get("Fragment-Host") == null) {
                    b.start();
                }
            }
        }
        for (Bundle b : ctx.getBundles()) {
            for (Feature f : base) {
                if (b.getLocation().startsWith("besip:" + f.module() + "/") && !wanted.contains(b.getLocation())) {
                    b.uninstall();
                }
            }
        }
    }

    /** Symbolic name and version from a jar's manifest. */
    private static String[] identity(Path jar) throws StartupException {
        try (JarFile jf = new JarFile(jar.toFile())) {
            var main = jf.getManifest().getMainAttributes();
            String bsn = main.getValue("Bundle-SymbolicName");
            if (bsn == null) {
                throw new StartupException(StartupException.CONFIG, jar + " is not an OSGi bundle");
            }
            int semi = bsn.indexOf(';');
            String version = main.getValue("Bundle-Version");
            return new String[] { (semi < 0 ? bsn : bsn.substring(0, semi)).trim(), version == null ? "0" : version.trim() };
        } catch (IOException | NullPointerException e) {
            throw new StartupException(StartupException.CONFIG, jar + " cannot be read as a jar: " + e.getMessage());
        }
    }

    private static List<String> failedBaseBundles(BundleContext ctx, List<Feature> base) {
        List<String> failed = new ArrayList<>();
        for (Bundle b : ctx.getBundles()) {
            boolean isBase = base.stream().anyMatch(f -> b.getLocation().startsWith("besip:" + f.module() + "/"));
            boolean fragment = b.getHeaders("").get("Fragment-Host") != null;
            if (isBase && !fragment && b.getState() != Bundle.ACTIVE) {
                failed.add(b.getSymbolicName() + " is not active");
            }
        }
        return failed;
    }

    /** The Web Console is up when it answers, and asks for credentials (401) or serves (200). */
    private void awaitWebConsole() throws StartupException, InterruptedException {
        URI uri = URI.create("http://" + config.localHttpHost() + ":" + config.httpPort() + "/system/console/");
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        int status = -1;
        while (System.currentTimeMillis() < deadline) {
            try {
                HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                status = c.getResponseCode();
                c.disconnect();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(25);
        }
        throw new StartupException(StartupException.RUNTIME, "the Web Console did not answer on " + uri + " within "
                + READY_TIMEOUT_MS / 1000 + " s (last status " + status + "); see " + config.logs().resolve("besip.log"));
    }

    static String rootMessage(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return m == null ? c.getClass().getSimpleName() : m.replace('\n', ' ');
    }

    long sinceStart() {
        return System.currentTimeMillis() - t0;
    }
}
