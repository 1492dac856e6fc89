package org.besip.core.internal.module;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.besip.core.api.event.Topics;
import org.besip.core.api.module.BundleInfo;
import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleException.Reason;
import org.besip.core.api.module.ModuleInfo;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.module.ModuleState;
import org.besip.core.internal.BoxPaths;
import org.besip.core.internal.feature.Feature;
import org.besip.core.internal.feature.FeatureBundle;
import org.besip.core.internal.feature.FeatureReader;
import org.besip.core.internal.module.InstalledModule.InstalledBundle;
import org.osgi.framework.Bundle;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Requirement;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module manager. Every operation runs on one thread, in order, so two operators never race
 * on the same bundles; each either completes or is undone and reported.
 */
@Component(service = ModuleManager.class, immediate = true, configurationPid = ModuleManagerImpl.PID)
@Designate(ocd = ModuleManagerImpl.Config.class)
public class ModuleManagerImpl implements ModuleManager {

    static final String PID = "org.besip.core.modules";

    @ObjectClassDefinition(name = "besip module manager",
            description = "Limits of module operations (Web Console Modules page, JSON API, NETCONF)")
    public @interface Config {
        @AttributeDefinition(name = "Largest upload (MiB)", min = "1", max = "1024",
                description = "A bundle upload larger than this is refused")
        int upload_max_mib() default 64;

        @AttributeDefinition(name = "Operation timeout (s)", min = "5", max = "3600",
                description = "How long a caller waits for an install, upgrade, enable, disable or remove")
        int operation_timeout_s() default 120;
    }

    /** Start levels of module bundles: above every base bundle (1..9). */
    static final int MODULE_START_LEVEL = 10;
    static final int MAX_START_LEVEL = 29;
    private static final Logger LOG = LoggerFactory.getLogger(ModuleManagerImpl.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

    /** What the bundles' components do once started: a component that fails to activate fails the start (and an upgrade rolls back). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ServiceComponentRuntime components;

    private final FeatureReader reader = FeatureReader.johnzon();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "besip-modules");
        t.setDaemon(true);
        return t;
    });
    /** Identities of the base bundles' jars, read once instead of on every list(). */
    private final Map<Path, BundleJar> baseJars = new ConcurrentHashMap<>();
    /** Why a module is failed, set by the last operation or the boot reconciliation. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    private BundleContext ctx;
    private BoxPaths paths;
    private ModuleStateStore store;
    private volatile Map<String, Feature> catalog = Map.of();
    /** Installed optional modules; touched on the worker thread only, read by list(). */
    private volatile Map<String, InstalledModule> installed = Map.of();

    private volatile long maxUploadBytes = 64L << 20;
    private volatile long operationTimeoutS = 120;

    @Activate
    void activate(BundleContext context, Config config) {
        modified(config);
        this.ctx = context;
        this.paths = BoxPaths.from(context);
        this.store = new ModuleStateStore(paths.data().resolve("modules").resolve("state.json"),
                new org.apache.johnzon.core.JsonProviderImpl());
        worker.submit(this::reconcile);
    }

    @Modified
    void modified(Config config) {
        maxUploadBytes = Math.max(1, config.upload_max_mib()) * (1L << 20);
        operationTimeoutS = Math.max(5, config.operation_timeout_s());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        worker.shutdown();
        if (!worker.awaitTermination(operationTimeoutS, TimeUnit.SECONDS)) {
            worker.shutdownNow();
        }
    }

    // ---- reads ---------------------------------------------------------------------------

    @Override
    public List<ModuleInfo> list() {
        List<ModuleInfo> all = new ArrayList<>();
        Map<String, InstalledModule> now = installed;
        for (Feature f : catalog.values()) {
            if (f.required() || !now.containsKey(f.module())) {
                all.add(describe(f.module()));
            }
        }
        now.keySet().forEach(n -> all.add(describe(n)));
        all.sort(Comparator.comparing((ModuleInfo m) -> !m.required()).thenComparing(ModuleInfo::name));
        return all;
    }

    @Override
    public Optional<ModuleInfo> get(String name) {
        if (name == null || (!installed.containsKey(name) && !catalog.containsKey(name))) {
            return Optional.empty();
        }
        return Optional.of(describe(name));
    }

    private ModuleInfo describe(String name) {
        InstalledModule m = installed.get(name);
        Feature f = catalog.get(name);
        if (m != null) {
            List<BundleInfo> bundles = m.bundles().stream().map(b -> bundleInfo(name, b.symbolicName(), b.version())).toList();
            ModuleState state;
            String message = "";
            if (!m.enabled()) {
                state = ModuleState.DISABLED;
                message = failures.getOrDefault(name, "");
            } else {
                String notActive = notActive(name, m.bundles().stream().map(InstalledBundle::symbolicName).toList());
                state = notActive == null ? ModuleState.ENABLED : ModuleState.FAILED;
                message = notActive == null ? "" : failures.getOrDefault(name, notActive);
            }
            // a feature module is versioned by its feature; a module from one uploaded bundle by that bundle
            String version = "feature".equals(m.source()) && f != null ? f.version() : m.bundles().get(0).version();
            return new ModuleInfo(name, version, state, false, m.source(), bundles, m.requires(), message);
        }
        if (f.required()) {
            List<BundleInfo> bundles = new ArrayList<>();
            String problem = null;
            for (FeatureBundle fb : f.bundles()) {
                Bundle b = byFeatureBundle(fb);
                if (b == null) {
                    bundles.add(new BundleInfo(-1, fb.artifactId(), fb.version(), "MISSING"));
                    problem = problem != null ? problem : "bundle " + fb.id() + " is not installed";
                } else {
                    bundles.add(new BundleInfo(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), stateName(b)));
                    boolean fragment = b.getHeaders("").get("Fragment-Host") != null;
                    if (problem == null && b.getState() != Bundle.ACTIVE && !(fragment && b.getState() == Bundle.RESOLVED)) {
                        problem = "bundle " + b.getSymbolicName() + " is " + stateName(b);
                    }
                }
            }
            return new ModuleInfo(name, f.version(), problem == null ? ModuleState.ENABLED : ModuleState.FAILED,
                    true, "feature", bundles, f.requires(), problem);
        }
        List<BundleInfo> bundles = f.bundles().stream()
                .map(fb -> new BundleInfo(-1, fb.artifactId(), fb.version(), "NOT_INSTALLED")).toList();
        return new ModuleInfo(name, f.version(), ModuleState.AVAILABLE, false, "feature", bundles, f.requires(),
                failures.getOrDefault(name, ""));
    }

    /**
     * A base bundle, found by symbolic name and version: the launcher installs them as
     * {@code besip:<module>/<bsn>}, a test harness may install them under its own locations.
     */
    private Bundle byFeatureBundle(FeatureBundle fb) {
        Path jar = paths.bundles().resolve(fb.fileName());
        try {
            BundleJar id = baseJars.get(jar);
            if (id == null) {
                id = BundleJar.read(jar, jar.toString());
                baseJars.put(jar, id); // the distribution's jars do not change while the box runs
            }
            for (Bundle b : ctx.getBundles()) {
                if (id.symbolicName().equals(b.getSymbolicName()) && id.version().equals(b.getVersion().toString())) {
                    return b;
                }
            }
        } catch (ModuleException e) {
            LOG.warn("base bundle {}: {}", fb.id(), e.getMessage());
        }
        return null;
    }

    /**
     * The module's own bundle, or else the same library installed for another module: two features
     * may list one bundle (JNA for both pcap users); it is installed once and shared.
     */
    private Bundle bundleOf(String module, String bsn, String version) {
        Bundle own = ctx.getBundle(InstalledModule.location(module, bsn));
        return own != null ? own : sharedBundle(bsn, version);
    }

    /** A bundle with this symbolic name (and version, when given) that some module installed. */
    private Bundle sharedBundle(String bsn, String version) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName()) && b.getLocation().startsWith("besip:")
                    && (version == null || b.getVersion().toString().equals(version))) {
                return b;
            }
        }
        return null;
    }

    /** Whether an installed module other than {@code module} lists a bundle with this symbolic name. */
    private boolean usedByAnother(String module, String bsn) {
        return installed.values().stream().anyMatch(o -> !o.name().equals(module)
                && o.bundles().stream().anyMatch(x -> x.symbolicName().equals(bsn)));
    }

    private BundleInfo bundleInfo(String module, String bsn, String recordedVersion) {
        Bundle b = bundleOf(module, bsn, recordedVersion);
        return b == null ? new BundleInfo(-1, bsn, recordedVersion, "MISSING")
                : new BundleInfo(b.getBundleId(), bsn, b.getVersion().toString(), stateName(b));
    }

    /** Null when every bundle is active (fragments: resolved), else which one is not. */
    private String notActive(String module, List<String> symbolicNames) {
        for (String bsn : symbolicNames) {
            Bundle b = bundleOf(module, bsn, null);
            if (b == null) {
                return "bundle " + bsn + " is not installed";
            }
            boolean fragment = b.getHeaders("").get("Fragment-Host") != null;
            if (b.getState() != Bundle.ACTIVE && !(fragment && b.getState() == Bundle.RESOLVED)) {
                return "bundle " + bsn + " is " + stateName(b);
            }
        }
        return null;
    }

    private static String stateName(Bundle b) {
        return switch (b.getState()) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }

    // ---- operations ----------------------------------------------------------------------

    @Override
    public ModuleInfo install(String name) throws ModuleException {
        return run(() -> {
            Feature f = catalog.get(name);
            if (f == null) {
                throw new ModuleException(Reason.UNKNOWN_MODULE, "no module named '" + name + "' in features/"
                        + (catalog.isEmpty() ? "" : " (there: " + String.join(", ", catalog.keySet()) + ")"));
            }
            return install(f);
        });
    }

    @Override
    public ModuleInfo installBundle(InputStream upload) throws ModuleException {
        Path received = receive(upload);
        return run(() -> {
            Path stored = null;
            try {
                BundleJar jar = BundleJar.read(received, "the uploaded file");
                String name = jar.moduleHeader() != null ? jar.moduleHeader()
                        : jar.symbolicName().toLowerCase().replace('.', '-').replace('_', '-');
                if (!name.matches("[a-z][a-z0-9-]{0,31}")) {
                    throw new ModuleException(Reason.INVALID_INPUT, "module name '" + name
                            + "' must be lower-case letters, digits and '-' (at most 32); set a "
                            + BundleJar.MODULE_HEADER + " header in the bundle's manifest");
                }
                if (catalog.containsKey(name) && !installed.containsKey(name)) {
                    throw new ModuleException(Reason.CONFLICT, "module '" + name
                            + "' is described in features/; install it by name instead");
                }
                checkInstallable(name, false, List.of());
                for (InstalledModule other : installed.values()) {
                    if (other.bundles().stream().anyMatch(b -> b.symbolicName().equals(jar.symbolicName()))) {
                        throw new ModuleException(Reason.CONFLICT, "bundle " + jar.symbolicName()
                                + " belongs to module '" + other.name() + "'; upgrade that module instead");
                    }
                }
                stored = moduleDir(name).resolve(jar.symbolicName() + "-" + jar.version() + ".jar");
                Files.createDirectories(stored.getParent());
                Files.move(received, stored, StandardCopyOption.REPLACE_EXISTING);
                BundleJar kept = new BundleJar(stored, jar.symbolicName(), jar.version(), jar.moduleHeader());
                InstalledModule m = installBundles(name, "upload", List.of(), List.of(kept), List.of(1), true);
                return committed(m, Topics.MODULE_INSTALLED);
            } catch (ModuleException | RuntimeException e) {
                if (stored != null) {
                    deleteQuietly(stored);
                }
                throw e;
            } finally {
                deleteQuietly(received);
            }
        });
    }

    @Override
    public ModuleInfo upgrade(String name, InputStream upload) throws ModuleException {
        Path received = receive(upload);
        return run(() -> {
            try {
                InstalledModule m = installedModule(name);
                BundleJar jar = BundleJar.read(received, "the uploaded file");
                InstalledBundle old = m.bundles().stream().filter(b -> b.symbolicName().equals(jar.symbolicName()))
                        .findFirst().orElseThrow(() -> new ModuleException(Reason.INVALID_INPUT, "bundle "
                                + jar.symbolicName() + " is not part of module '" + name + "' (its bundles: "
                                + String.join(", ", m.bundles().stream().map(InstalledBundle::symbolicName).toList()) + ")"));
                if (old.version().equals(jar.version())) {
                    throw new ModuleException(Reason.CONFLICT, "module '" + name + "' already runs "
                            + jar.symbolicName() + " " + jar.version());
                }
                Path stored = moduleDir(name).resolve(jar.symbolicName() + "-" + jar.version() + ".jar");
                Files.createDirectories(stored.getParent());
                Files.move(received, stored, StandardCopyOption.REPLACE_EXISTING);
                Bundle b = ctx.getBundle(InstalledModule.location(name, old.symbolicName()));
                if (b == null) {
                    deleteQuietly(stored);
                    throw new ModuleException(Reason.INTERNAL, "bundle " + old.symbolicName() + " of module '" + name
                            + "' is not installed in the framework; restart the box to reconcile");
                }
                try {
                    replace(b, stored, m.enabled());
                } catch (ModuleException e) {
                    try {
                        replace(b, Path.of(old.file()), m.enabled());
                    } catch (ModuleException again) {
                        failures.put(name, "rollback to " + old.version() + " failed: " + again.getMessage());
                    }
                    deleteQuietly(stored);
                    throw new ModuleException(Reason.RESOLUTION, "upgrade of " + jar.symbolicName() + " to "
                            + jar.version() + " failed, " + old.version() + " is back in place: " + e.getMessage(), e);
                }
                InstalledModule now = m.withBundle(new InstalledBundle(jar.symbolicName(), jar.version(),
                        stored.toString(), old.startOrder()));
                ModuleInfo info = committed(now, Topics.MODULE_UPGRADED);
                Path oldFile = Path.of(old.file());
                if (oldFile.startsWith(paths.data()) && !oldFile.equals(stored)) {
                    deleteQuietly(oldFile);
                }
                return info;
            } finally {
                deleteQuietly(received);
            }
        });
    }

    @Override
    public ModuleInfo enable(String name) throws ModuleException {
        return run(() -> {
            InstalledModule m = installedModule(name);
            for (String r : m.requires()) {
                if (!isEnabled(r)) {
                    throw new ModuleException(Reason.CONFLICT, "module '" + name + "' requires '" + r + "'; enable it first");
                }
            }
            try {
                startAll(name, m.bundles());
            } catch (ModuleException e) {
                stopAll(name, m.bundles());
                throw e;
            }
            return committed(m.withEnabled(true), Topics.MODULE_ENABLED);
        });
    }

    @Override
    public ModuleInfo disable(String name) throws ModuleException {
        return run(() -> {
            InstalledModule m = installedModule(name);
            checkNoDependents(name, true);
            stopAll(name, m.bundles());
            return committed(m.withEnabled(false), Topics.MODULE_DISABLED);
        });
    }

    @Override
    public void remove(String name) throws ModuleException {
        run(() -> {
            InstalledModule m = installedModule(name);
            checkNoDependents(name, false);
            stopAll(name, m.bundles());
            List<Bundle> gone = new ArrayList<>();
            for (InstalledBundle ib : m.bundles()) {
                Bundle b = ctx.getBundle(InstalledModule.location(name, ib.symbolicName()));
                if (b != null && !usedByAnother(name, ib.symbolicName())) { // a shared library stays for the others
                    try {
                        b.uninstall();
                        gone.add(b);
                    } catch (BundleException e) {
                        throw new ModuleException(Reason.INTERNAL, "cannot uninstall " + ib.symbolicName() + ": " + e.getMessage(), e);
                    }
                }
            }
            refresh(gone);
            Map<String, InstalledModule> next = new LinkedHashMap<>(installed);
            next.remove(name);
            save(next);
            deleteTree(moduleDir(name));
            failures.remove(name);
            post(Topics.MODULE_REMOVED, name, m.bundles().get(0).version());
            LOG.info("module {} removed", name);
            return null;
        });
    }

    // ---- mechanics -----------------------------------------------------------------------

    private <T> T run(Callable<T> op) throws ModuleException {
        Future<T> f;
        try {
            f = worker.submit(op);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new ModuleException(Reason.INTERNAL, "the module manager is stopping");
        }
        try {
            return f.get(operationTimeoutS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ModuleException me) {
                throw me;
            }
            LOG.error("module operation failed", c);
            throw new ModuleException(Reason.INTERNAL, "internal error: " + c, c);
        } catch (TimeoutException e) {
            throw new ModuleException(Reason.INTERNAL, "the operation did not finish within " + operationTimeoutS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModuleException(Reason.INTERNAL, "interrupted");
        }
    }

    private InstalledModule installedModule(String name) throws ModuleException {
        InstalledModule m = installed.get(name);
        if (m != null) {
            return m;
        }
        Feature f = name == null ? null : catalog.get(name);
        if (f != null && f.required()) {
            throw new ModuleException(Reason.CONFLICT, "module '" + name + "' is part of the base system: always on, upgraded with the distribution");
        }
        if (f != null) {
            throw new ModuleException(Reason.CONFLICT, "module '" + name + "' is not installed; install it first");
        }
        throw new ModuleException(Reason.UNKNOWN_MODULE, "no module named '" + name + "'");
    }

    private boolean isEnabled(String name) {
        Feature f = catalog.get(name);
        if (f != null && f.required()) {
            return true;
        }
        InstalledModule m = installed.get(name);
        return m != null && m.enabled();
    }

    private void checkInstallable(String name, boolean required, List<String> requires) throws ModuleException {
        if (required) {
            throw new ModuleException(Reason.CONFLICT, "module '" + name + "' is part of the base system and always installed");
        }
        if (installed.containsKey(name)) {
            throw new ModuleException(Reason.CONFLICT, "module '" + name + "' is already installed; upgrade it instead");
        }
        for (String r : requires) {
            if (!isEnabled(r)) {
                throw new ModuleException(Reason.CONFLICT, "module '" + name + "' requires '" + r + "'; install and enable it first");
            }
        }
    }

    private void checkNoDependents(String name, boolean enabledOnly) throws ModuleException {
        for (InstalledModule other : installed.values()) {
            if (other.requires().contains(name) && (!enabledOnly || other.enabled())) {
                throw new ModuleException(Reason.CONFLICT, "module '" + other.name() + "' requires '" + name
                        + "'; " + (enabledOnly ? "disable" : "remove") + " it first");
            }
        }
    }

    private InstalledModule installBundles(String name, String source, List<String> requires, List<BundleJar> jars,
            List<Integer> orders, boolean enable) throws ModuleException {
        List<Bundle> done = new ArrayList<>();
        List<InstalledBundle> records = new ArrayList<>();
        try {
            for (int i = 0; i < jars.size(); i++) {
                BundleJar jar = jars.get(i);
                String location = InstalledModule.location(name, jar.symbolicName());
                Bundle shared = ctx.getBundle(location) == null ? sharedBundle(jar.symbolicName(), jar.version()) : null;
                if (shared == null) {
                    Bundle b = installOrUpdate(location, jar.file());
                    done.add(b);
                    b.adapt(BundleStartLevel.class).setStartLevel(startLevel(orders.get(i)));
                }
                records.add(new InstalledBundle(jar.symbolicName(), jar.version(), jar.file().toString(), orders.get(i)));
            }
            checkResolves(done);
            if (enable) {
                startAll(name, records);
            }
        } catch (ModuleException | RuntimeException e) {
            for (Bundle b : done) {
                try {
                    b.uninstall();
                } catch (BundleException | IllegalStateException ignored) {
                    // already gone
                }
            }
            refresh(done);
            throw e;
        }
        return new InstalledModule(name, source, enable, requires, records);
    }

    private Bundle installOrUpdate(String location, Path jar) throws ModuleException {
        try (InputStream in = Files.newInputStream(jar)) {
            Bundle existing = ctx.getBundle(location);
            if (existing != null) {
                existing.update(in);
                return existing;
            }
            return ctx.installBundle(location, in);
        } catch (BundleException e) {
            throw new ModuleException(Reason.RESOLUTION, "cannot install " + jar.getFileName() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModuleException(Reason.INTERNAL, "cannot read " + jar + ": " + e.getMessage(), e);
        }
    }

    /** Swaps a bundle's content for {@code jar}, refreshes its dependents, starts it if the module runs. */
    private void replace(Bundle b, Path jar, boolean start) throws ModuleException {
        try (InputStream in = Files.newInputStream(jar)) {
            // stopped once, here: an update of an active bundle restarts it, and the refresh after would stop and start it again
            // (two swaps of the module's state, twice the outage)
            b.stop(Bundle.STOP_TRANSIENT);
            b.update(in);
        } catch (BundleException e) {
            throw new ModuleException(Reason.RESOLUTION, e.getMessage(), e);
        } catch (IOException e) {
            throw new ModuleException(Reason.INTERNAL, "cannot read " + jar + ": " + e.getMessage(), e);
        }
        refresh(List.of(b));
        checkResolves(List.of(b));
        if (start) {
            try {
                b.start();
            } catch (BundleException e) {
                throw new ModuleException(Reason.RESOLUTION, b.getSymbolicName() + " does not start: " + e.getMessage(), e);
            }
            awaitComponents(b);
        }
    }

    private void checkResolves(List<Bundle> bundles) throws ModuleException {
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        if (wiring.resolveBundles(bundles)) {
            return;
        }
        for (Bundle b : bundles) {
            if (b.getState() == Bundle.INSTALLED) {
                throw new ModuleException(Reason.RESOLUTION, b.getSymbolicName() + " " + b.getVersion()
                        + " does not resolve: " + unmet(wiring, b));
            }
        }
    }

    /** The bundle's mandatory requirements that nothing in the framework provides. */
    private static String unmet(FrameworkWiring wiring, Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        List<String> missing = new ArrayList<>();
        for (Requirement r : rev.getRequirements(null)) {
            boolean optional = "optional".equals(r.getDirectives().get("resolution"));
            if (!optional && wiring.findProviders(r).isEmpty()) {
                missing.add(r.getNamespace() + " " + r.getDirectives().getOrDefault("filter", ""));
            }
        }
        return missing.isEmpty() ? "a requirement is not met (see the log)" : "missing " + String.join(", ", missing);
    }

    private void startAll(String module, List<InstalledBundle> bundles) throws ModuleException {
        List<InstalledBundle> ordered = bundles.stream().sorted(Comparator.comparingInt(InstalledBundle::startOrder)).toList();
        for (InstalledBundle ib : ordered) {
            Bundle b = bundleOf(module, ib.symbolicName(), ib.version());
            if (b == null) {
                throw new ModuleException(Reason.INTERNAL, "bundle " + ib.symbolicName() + " is not installed");
            }
            if (b.getHeaders("").get("Fragment-Host") != null) {
                continue;
            }
            try {
                b.start();
            } catch (BundleException e) {
                throw new ModuleException(Reason.RESOLUTION, ib.symbolicName() + " does not start: " + e.getMessage(), e);
            }
            awaitComponents(b);
        }
    }

    /**
     * Whether a satisfied component activates when its service is asked for: an immediate one
     * still satisfied after its bundle started either is about to activate or failed to (Felix SCR
     * leaves those satisfied, not FAILED_ACTIVATION); getting its service tries once more, now.
     */
    private boolean activates(ComponentConfigurationDTO c) {
        try {
            ServiceReference<?>[] refs = ctx.getServiceReferences((String) null, "(component.id=" + c.id + ")");
            for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
                Object service = ctx.getService(r);
                if (service == null) {
                    return false;
                }
                ctx.ungetService(r);
            }
            return true;
        } catch (InvalidSyntaxException e) {
            return true; // cannot happen: a numeric filter
        }
    }

    /** How long a started bundle's immediate components may take to activate before the start counts as done. */
    static final long ACTIVATION_WAIT_MS = 10_000;

    /**
     * Waits until each immediate component of {@code b} whose references are satisfied is active;
     * one whose activation failed (its activate threw, its class is missing) fails the start with
     * the component's own failure. A component still waiting for a reference is left waiting: a
     * module may need another's service or its configuration.
     */
    private void awaitComponents(Bundle b) throws ModuleException {
        ServiceComponentRuntime scr = components;
        if (scr == null) {
            return;
        }
        long deadline = System.currentTimeMillis() + ACTIVATION_WAIT_MS;
        while (true) {
            boolean pending = false;
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(b)) {
                if (!d.immediate || !scr.isComponentEnabled(d)) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        String failure = c.failure == null ? "" : c.failure.lines().findFirst().orElse("");
                        throw new ModuleException(Reason.RESOLUTION, b.getSymbolicName() + " " + b.getVersion() + ": component " + d.name
                                + " failed to activate" + (failure.isEmpty() ? "" : ": " + failure));
                    }
                    if (c.state != ComponentConfigurationDTO.SATISFIED) {
                        continue;
                    }
                    if (d.serviceInterfaces.length == 0) {
                        pending = true; // nothing to ask for: its activation can only be waited for
                    } else if (!activates(c)) {
                        throw new ModuleException(Reason.RESOLUTION, b.getSymbolicName() + " " + b.getVersion() + ": component " + d.name
                                + " failed to activate (its error is in the log)");
                    }
                }
            }
            if (!pending || System.currentTimeMillis() > deadline) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void stopAll(String module, List<InstalledBundle> bundles) {
        List<InstalledBundle> reversed = bundles.stream()
                .sorted(Comparator.comparingInt(InstalledBundle::startOrder).reversed()).toList();
        for (InstalledBundle ib : reversed) {
            Bundle b = ctx.getBundle(InstalledModule.location(module, ib.symbolicName()));
            if (b != null && b.getHeaders("").get("Fragment-Host") == null) {
                try {
                    b.stop();
                } catch (BundleException e) {
                    LOG.warn("stopping {} of module {}: {}", ib.symbolicName(), module, e.getMessage());
                }
            }
        }
    }

    /** Refreshes {@code bundles} and what is wired to them, nothing else; waits until done. */
    private void refresh(Collection<Bundle> bundles) throws ModuleException {
        if (bundles.isEmpty()) {
            return;
        }
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(bundles, e -> done.countDown());
        try {
            if (!done.await(operationTimeoutS, TimeUnit.SECONDS)) {
                throw new ModuleException(Reason.INTERNAL, "the framework did not finish refreshing in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModuleException(Reason.INTERNAL, "interrupted while refreshing");
        }
    }

    private static int startLevel(int order) {
        return Math.min(MODULE_START_LEVEL + order - 1, MAX_START_LEVEL);
    }

    private ModuleInfo committed(InstalledModule m, String topic) throws ModuleException {
        Map<String, InstalledModule> next = new LinkedHashMap<>(installed);
        next.put(m.name(), m);
        save(next);
        failures.remove(m.name());
        post(topic, m.name(), m.bundles().get(0).version());
        LOG.info("module {} {}", m.name(), topic.substring(Topics.MODULE_PREFIX.length()).toLowerCase());
        return describe(m.name());
    }

    private void save(Map<String, InstalledModule> next) throws ModuleException {
        try {
            store.save(next);
            installed = Map.copyOf(next);
        } catch (IOException e) {
            throw new ModuleException(Reason.INTERNAL, "cannot save the module list: " + e.getMessage(), e);
        }
    }

    private void post(String topic, String module, String version) {
        EventAdmin ea = events;
        if (ea != null) {
            ea.postEvent(new Event(topic, Map.of(Topics.PROP_MODULE, module, Topics.PROP_VERSION, version)));
        }
    }

    private Path moduleDir(String name) {
        return paths.data().resolve("modules").resolve(name);
    }

    /** Copies an upload to {@code data/modules/.incoming}, refusing more than the cap. */
    private Path receive(InputStream upload) throws ModuleException {
        if (upload == null) {
            throw new ModuleException(Reason.INVALID_INPUT, "no bundle was uploaded");
        }
        try {
            Path dir = paths.data().resolve("modules").resolve(".incoming");
            Files.createDirectories(dir);
            Path tmp = dir.resolve(UUID.randomUUID() + ".jar");
            long total = 0;
            byte[] buf = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(tmp)) {
                for (int n; (n = upload.read(buf)) > 0;) {
                    total += n;
                    if (total > maxUploadBytes) {
                        out.close();
                        deleteQuietly(tmp);
                        throw new ModuleException(Reason.INVALID_INPUT, "the upload is larger than "
                                + (maxUploadBytes >> 20) + " MiB");
                    }
                    out.write(buf, 0, n);
                }
            }
            if (total == 0) {
                deleteQuietly(tmp);
                throw new ModuleException(Reason.INVALID_INPUT, "the uploaded file is empty");
            }
            return tmp;
        } catch (IOException e) {
            throw new ModuleException(Reason.INTERNAL, "cannot store the upload: " + e.getMessage(), e);
        }
    }

    private void applyDefaultConfigurations(Feature f) {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null || f.configurations().isEmpty()) {
            return;
        }
        for (var e : f.configurations().entrySet()) {
            try {
                String pid = e.getKey();
                int tilde = pid.indexOf('~');
                Configuration c = tilde < 0 ? cm.getConfiguration(pid, "?")
                        : cm.getFactoryConfiguration(pid.substring(0, tilde), pid.substring(tilde + 1), "?");
                if (c.getProperties() == null) {
                    c.update(new java.util.Hashtable<>(e.getValue()));
                }
            } catch (IOException | RuntimeException ex) {
                LOG.warn("module {}: default configuration {} not applied: {}", f.module(), e.getKey(), ex.getMessage());
            }
        }
    }

    // ---- boot ----------------------------------------------------------------------------

    /**
     * Brings the framework in line with {@code features/} and the saved module list: installs
     * what is missing, puts back recorded versions, starts enabled modules, removes leftovers.
     * On first boot (no list yet) installs every optional feature, enabled as it says.
     */
    private void reconcile() {
        try {
            catalog = ModuleCatalog.read(paths.features(), reader, LOG::warn);
            Map<String, InstalledModule> saved;
            try {
                saved = store.load();
            } catch (IOException e) {
                LOG.error("module list unreadable, starting with none: {}", e.getMessage());
                saved = new LinkedHashMap<>();
            }
            boolean firstBoot = !store.exists();
            installed = Map.copyOf(saved);
            List<Bundle> changed = new ArrayList<>();
            for (InstalledModule m : saved.values()) {
                reconcileModule(m, changed);
            }
            removeLeftovers(changed);
            refresh(changed);
            for (InstalledModule m : saved.values()) {
                if (m.enabled()) {
                    try {
                        startAll(m.name(), m.bundles());
                    } catch (ModuleException e) {
                        failures.put(m.name(), e.getMessage());
                        LOG.error("module {} does not start: {}", m.name(), e.getMessage());
                    }
                } else {
                    stopAll(m.name(), m.bundles());
                }
            }
            if (firstBoot) {
                save(installed);
                for (Feature f : catalog.values()) {
                    if (!f.required()) {
                        try {
                            install(f);
                        } catch (ModuleException e) {
                            failures.put(f.module(), e.getMessage());
                            LOG.error("module {} not installed: {}", f.module(), e.getMessage());
                        }
                    }
                }
            }
            LOG.info("modules reconciled: {} installed, {} enabled", installed.size(),
                    installed.values().stream().filter(InstalledModule::enabled).count());
        } catch (ModuleException | RuntimeException e) {
            LOG.error("module reconciliation failed", e);
        }
    }

    /** Installs a feature's bundles as a module; runs on the worker thread. */
    private ModuleInfo install(Feature f) throws ModuleException {
        checkInstallable(f.module(), f.required(), f.requires());
        List<BundleJar> jars = new ArrayList<>();
        List<Integer> orders = new ArrayList<>();
        for (FeatureBundle fb : f.bundles()) {
            Path jar = paths.bundles().resolve(fb.fileName());
            if (!Files.isRegularFile(jar)) {
                throw new ModuleException(Reason.INVALID_INPUT, "feature " + f.module() + " lists " + fb.id()
                        + " but " + jar + " does not exist");
            }
            jars.add(BundleJar.read(jar, jar.toString()));
            orders.add(fb.startOrder());
        }
        InstalledModule m = installBundles(f.module(), "feature", f.requires(), jars, orders, f.enabled());
        applyDefaultConfigurations(f);
        return committed(m, Topics.MODULE_INSTALLED);
    }

    private void reconcileModule(InstalledModule m, List<Bundle> changed) {
        for (InstalledBundle ib : m.bundles()) {
            String location = InstalledModule.location(m.name(), ib.symbolicName());
            Bundle b = ctx.getBundle(location);
            if (b == null && sharedBundle(ib.symbolicName(), ib.version()) != null) {
                continue; // installed for another module, shared
            }
            try {
                if (b == null) {
                    b = installOrUpdate(location, Path.of(ib.file()));
                    b.adapt(BundleStartLevel.class).setStartLevel(startLevel(ib.startOrder()));
                    LOG.info("module {}: reinstalled {} {}", m.name(), ib.symbolicName(), ib.version());
                } else if (!b.getVersion().toString().equals(ib.version())) {
                    installOrUpdate(location, Path.of(ib.file()));
                    changed.add(b);
                    LOG.info("module {}: put back {} {}", m.name(), ib.symbolicName(), ib.version());
                }
            } catch (ModuleException e) {
                failures.put(m.name(), e.getMessage());
                LOG.error("module {}: {}", m.name(), e.getMessage());
            }
        }
    }

    /** Bundles under besip:<module>/ of a module that is neither base nor in the list. */
    private void removeLeftovers(List<Bundle> changed) {
        Map<String, Boolean> known = new HashMap<>();
        catalog.values().stream().filter(Feature::required).forEach(f -> known.put(f.module(), true));
        installed.keySet().forEach(n -> known.put(n, true));
        for (Bundle b : ctx.getBundles()) {
            String loc = b.getLocation();
            if (loc.startsWith("besip:")) {
                String module = loc.substring("besip:".length(), Math.max(loc.indexOf('/'), "besip:".length()));
                if (!known.containsKey(module) && !usedByAnother(module, String.valueOf(b.getSymbolicName()))) {
                    try {
                        b.uninstall();
                        changed.add(b);
                        LOG.info("removed leftover bundle {} of unknown module {}", b.getSymbolicName(), module);
                    } catch (BundleException e) {
                        LOG.warn("cannot remove leftover {}: {}", loc, e.getMessage());
                    }
                }
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a leftover in .incoming is harmless
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(ModuleManagerImpl::deleteQuietly);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
