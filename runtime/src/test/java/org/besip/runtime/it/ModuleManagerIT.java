package org.besip.runtime.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

import javax.inject.Inject;
import javax.sql.DataSource;

import org.besip.core.api.auth.AdminAuthenticator;
import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleInfo;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.module.ModuleState;
import org.besip.core.api.storage.DataStores;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;

/**
 * Boots the real base bundles (features/base.json of the built distribution) and drives the
 * module manager with test modules built on the fly. Starts: the base feature only.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class ModuleManagerIT {

    @Inject
    private BundleContext ctx;

    @Inject
    private ModuleManager modules;

    @Inject
    private DataStores stores;

    @Inject
    private AdminAuthenticator admin;

    @Configuration
    public Option[] config() throws Exception {
        return BesipOptions.base("modules");
    }

    private Path fixtures() {
        return Path.of(ctx.getProperty("besip.it.fixtures"));
    }

    @Test
    public void theBaseSetIsActiveAndItsServicesAreThere() throws Exception {
        String[] base = ctx.getProperty("besip.it.base").split(",");
        assertTrue("the base feature lists the whole base set", base.length >= 25);
        for (String bsn : base) {
            Bundle b = find(bsn);
            assertNotNull(bsn + " is installed", b);
            assertEquals(bsn + " is active", Bundle.ACTIVE, b.getState());
        }
        ModuleInfo core = modules.get("core").orElseThrow();
        assertEquals(ModuleState.ENABLED, core.state());
        assertTrue(core.required());
        DataSource ds = stores.dataSource("it");
        try (var c = ds.getConnection(); var st = c.createStatement(); var rs = st.executeQuery("pragma journal_mode")) {
            rs.next();
            assertEquals("wal", rs.getString(1));
        }
        assertFalse("admin/admin never works", admin.authenticate("admin", "admin".toCharArray()));
        String password = Files.readString(Path.of(ctx.getProperty("besip.data"), "admin-password.txt")).trim();
        assertTrue(admin.authenticate("admin", password.toCharArray()));
        for (String service : new String[] { "org.osgi.service.cm.ConfigurationAdmin", "org.osgi.service.event.EventAdmin",
                "org.osgi.service.metatype.MetaTypeService", "org.osgi.service.servlet.runtime.HttpServiceRuntime" }) {
            assertNotNull(service, ctx.getServiceReference(service));
        }
    }

    @Test
    public void aModuleGoesThroughItsLifeWhileAnotherModuleKeepsItsServiceThroughout() throws Exception {
        Path dir = fixtures();
        install(FixtureBundles.module(dir, "beta", "1.0.0"));
        ServiceReference<?> betaService = greeter("beta");
        assertNotNull("beta's component is up", betaService);
        long betaId = (Long) betaService.getProperty("service.id");
        List<String> betaEvents = new ArrayList<>();
        ServiceListener watch = e -> {
            if (e.getType() != ServiceEvent.REGISTERED) {
                betaEvents.add(e.getType() + " " + e.getServiceReference().getProperty("service.id"));
            }
        };
        ctx.addServiceListener(watch, "(besip.fixture=beta)");
        try {
            ModuleInfo alpha = install(FixtureBundles.module(dir, "alpha", "1.0.0"));
            assertEquals(ModuleState.ENABLED, alpha.state());
            assertEquals("1.0.0", alpha.version());
            assertEquals("alpha 1.0.0", greeting("alpha"));

            assertEquals(ModuleState.DISABLED, modules.disable("alpha").state());
            assertEquals(null, greeter("alpha"));

            assertEquals(ModuleState.ENABLED, modules.enable("alpha").state());
            assertEquals("alpha 1.0.0", greeting("alpha"));

            ModuleInfo upgraded = upgrade("alpha", FixtureBundles.module(dir, "alpha", "2.0.0"));
            assertEquals("2.0.0", upgraded.version());
            assertEquals(ModuleState.ENABLED, upgraded.state());
            assertEquals("alpha 2.0.0", greeting("alpha"));

            try {
                upgrade("alpha", FixtureBundles.unresolvable(dir, "alpha", "3.0.0"));
                fail("an upgrade that does not resolve must be refused");
            } catch (ModuleException e) {
                assertEquals(ModuleException.Reason.RESOLUTION, e.reason());
                assertTrue(e.getMessage(), e.getMessage().contains("org.besip.nowhere"));
                assertTrue(e.getMessage(), e.getMessage().contains("2.0.0 is back in place"));
            }
            ModuleInfo after = modules.get("alpha").orElseThrow();
            assertEquals("the old version keeps running", "2.0.0", after.version());
            assertEquals(ModuleState.ENABLED, after.state());
            assertEquals("alpha 2.0.0", greeting("alpha"));

            modules.remove("alpha");
            assertFalse(modules.get("alpha").isPresent());
            assertEquals(null, greeter("alpha"));
            assertFalse("no bundle left behind", find("org.besip.it.alpha") != null);
        } finally {
            ctx.removeServiceListener(watch);
        }
        assertEquals("beta's service was never unregistered or modified", List.of(), betaEvents);
        assertEquals(betaId, (long) (Long) greeter("beta").getProperty("service.id"));
        assertEquals(ModuleState.ENABLED, modules.get("beta").orElseThrow().state());
    }

    @Test
    public void badRequestsAreRefusedWithTheirReason() throws Exception {
        Path dir = fixtures();
        expect(ModuleException.Reason.INVALID_INPUT, "not a jar file",
                () -> modules.installBundle(new ByteArrayInputStream("hello".getBytes())));
        expect(ModuleException.Reason.INVALID_INPUT, "not an OSGi bundle",
                () -> install(FixtureBundles.notABundle(dir)));
        expect(ModuleException.Reason.INVALID_INPUT, "empty",
                () -> modules.installBundle(new ByteArrayInputStream(new byte[0])));
        expect(ModuleException.Reason.UNKNOWN_MODULE, "no module named 'nosuch'", () -> modules.enable("nosuch"));
        expect(ModuleException.Reason.UNKNOWN_MODULE, "no module named 'nosuch'", () -> modules.install("nosuch"));
        expect(ModuleException.Reason.CONFLICT, "base system", () -> modules.disable("core"));
        expect(ModuleException.Reason.CONFLICT, "base system", () -> modules.remove("core"));
        expect(ModuleException.Reason.RESOLUTION, "org.besip.nowhere",
                () -> install(FixtureBundles.unresolvable(dir, "gamma", "1.0.0")));
        assertFalse("a module that failed to install leaves nothing", modules.get("gamma").isPresent());
        assertEquals(null, find("org.besip.it.gamma"));

        install(FixtureBundles.module(dir, "delta", "1.0.0"));
        expect(ModuleException.Reason.CONFLICT, "already installed", () -> install(FixtureBundles.module(dir, "delta", "1.0.0")));
        expect(ModuleException.Reason.CONFLICT, "already runs", () -> upgrade("delta", FixtureBundles.module(dir, "delta", "1.0.0")));
        expect(ModuleException.Reason.INVALID_INPUT, "is not part of module 'delta'",
                () -> upgrade("delta", FixtureBundles.module(dir, "epsilon", "1.0.0")));
        assertEquals("delta 1.0.0", greeting("delta"));
    }

    @Test
    public void enabledModulesAndVersionsAreWrittenToTheModuleList() throws Exception {
        Path dir = fixtures();
        install(FixtureBundles.module(dir, "zeta", "1.0.0"));
        upgrade("zeta", FixtureBundles.module(dir, "zeta", "1.1.0"));
        modules.disable("zeta");
        String list = Files.readString(Path.of(ctx.getProperty("besip.data"), "modules", "state.json"));
        assertTrue(list, list.contains("\"zeta\""));
        assertTrue(list, list.contains("\"1.1.0\""));
        assertTrue(list, list.replaceAll("\\s", "").contains("\"enabled\":false"));
        assertTrue("the upgraded jar is kept outside the framework cache",
                Files.exists(Path.of(ctx.getProperty("besip.data"), "modules", "zeta", "org.besip.it.zeta-1.1.0.jar")));
        assertFalse("the replaced jar is gone",
                Files.exists(Path.of(ctx.getProperty("besip.data"), "modules", "zeta", "org.besip.it.zeta-1.0.0.jar")));
    }

    // ---- helpers ----

    private interface Action {
        void run() throws Exception;
    }

    private static void expect(ModuleException.Reason reason, String text, Action action) throws Exception {
        try {
            action.run();
            fail("expected " + reason + " (" + text + ")");
        } catch (ModuleException e) {
            assertEquals(e.getMessage(), reason, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains(text));
        }
    }

    private ModuleInfo install(Path jar) throws Exception {
        try (InputStream in = Files.newInputStream(jar)) {
            return modules.installBundle(in);
        }
    }

    private ModuleInfo upgrade(String module, Path jar) throws Exception {
        try (InputStream in = Files.newInputStream(jar)) {
            return modules.upgrade(module, in);
        }
    }

    private ServiceReference<?> greeter(String module) throws Exception {
        Collection<ServiceReference<Supplier>> refs = ctx.getServiceReferences(Supplier.class, "(besip.fixture=" + module + ")");
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    @SuppressWarnings("unchecked")
    private String greeting(String module) throws Exception {
        ServiceReference<Supplier> ref = (ServiceReference<Supplier>) greeter(module);
        assertNotNull(module + "'s service is registered", ref);
        Supplier<String> s = ctx.getService(ref);
        try {
            return s.get();
        } finally {
            ctx.ungetService(ref);
        }
    }

    private Bundle find(String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }
}
