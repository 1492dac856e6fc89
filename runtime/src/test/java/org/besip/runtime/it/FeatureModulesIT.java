package org.besip.runtime.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.module.ModuleState;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Modules described in features/: first boot provisions them as their files say, default
 * configurations land in ConfigAdmin, "requires" is enforced both ways. Starts: the base feature,
 * plus the test features omega (enabled: false, with a configuration) and psi (requires omega).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FeatureModulesIT {

    @Inject
    private BundleContext ctx;

    @Inject
    private ModuleManager modules;

    @Inject
    private ConfigurationAdmin configAdmin;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() throws Exception {
        return BesipOptions.base("features", (features, bundles) -> {
            FixtureBundles.module(bundles, "omega", "1.0.0");
            FixtureBundles.module(bundles, "psi", "1.0.0");
            FixtureBundles.module(bundles, "shared", "1.0.0"); // a library both features list (as JNA for monitoring and security)
            Files.writeString(features.resolve("omega.json"), """
                    { "id": "org.besip.it:omega:1.0.0",
                      "besip-module:JSON|optional": { "name": "omega", "enabled": false },
                      "bundles": [ { "id": "org.besip.it:shared:1.0.0", "start-order": 1 }, { "id": "org.besip.it:omega:1.0.0", "start-order": 1 } ],
                      "configurations": { "org.besip.it.omega": { "greeting": "hello", "port": 5060 } } }
                    """);
            Files.writeString(features.resolve("psi.json"), """
                    { "id": "org.besip.it:psi:1.0.0",
                      "besip-module:JSON|optional": { "name": "psi", "requires": ["omega"] },
                      "bundles": [ "org.besip.it:shared:1.0.0", "org.besip.it:psi:1.0.0" ] }
                    """);
        });
    }

    @Test
    public void featuresAreProvisionedAsTheySayAndRequiresIsEnforced() throws Exception {
        awaitReconciled();
        var omega = modules.get("omega").orElseThrow();
        assertEquals("enabled: false installs the module stopped", ModuleState.DISABLED, omega.state());
        assertNull(greeter("omega"));
        Configuration c = configAdmin.getConfiguration("org.besip.it.omega", "?");
        assertNotNull("the feature's default configuration is applied", c.getProperties());
        assertEquals("hello", c.getProperties().get("greeting"));
        assertEquals(5060L, c.getProperties().get("port"));

        var psi = modules.get("psi").orElseThrow();
        assertEquals("psi cannot be installed while omega is disabled", ModuleState.AVAILABLE, psi.state());
        assertTrue(psi.message(), psi.message().contains("requires 'omega'"));

        assertEquals(ModuleState.ENABLED, modules.enable("omega").state());
        assertEquals("omega 1.0.0", greeting("omega"));
        assertEquals(ModuleState.ENABLED, modules.install("psi").state());
        assertEquals("psi 1.0.0", greeting("psi"));

        try {
            modules.disable("omega");
            fail("omega is required by psi");
        } catch (ModuleException e) {
            assertEquals(ModuleException.Reason.CONFLICT, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains("'psi' requires 'omega'"));
        }
        assertEquals("omega 1.0.0", greeting("omega"));

        assertEquals("a library two modules list is installed once and shared", 1, sharedBundles());
        assertEquals("ACTIVE", modules.get("psi").orElseThrow().bundles().stream()
                .filter(b -> b.symbolicName().equals("org.besip.it.shared")).findFirst().orElseThrow().state());
        modules.remove("psi");
        assertEquals("a removed feature module is available again", ModuleState.AVAILABLE,
                modules.get("psi").orElseThrow().state());
        assertEquals("the shared library stays for omega", 1, sharedBundles());
        modules.remove("omega");
        assertEquals(ModuleState.AVAILABLE, modules.get("omega").orElseThrow().state());
        assertEquals("configuration stays after remove", "hello",
                configAdmin.getConfiguration("org.besip.it.omega", "?").getProperties().get("greeting"));
        modules.install("omega");
        assertEquals(ModuleState.DISABLED, modules.get("omega").orElseThrow().state());
    }

    /** The first-boot provisioning runs in the background; it is done once omega is installed. */
    private long sharedBundles() {
        return java.util.Arrays.stream(ctx.getBundles()).filter(b -> "org.besip.it.shared".equals(b.getSymbolicName())).count();
    }

    private void awaitReconciled() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            var m = modules.get("omega");
            if (m.isPresent() && m.get().state() != ModuleState.AVAILABLE) {
                return;
            }
            Thread.sleep(20);
        }
        fail("omega was not provisioned at first boot");
    }

    private Object greeter(String module) throws Exception {
        var refs = ctx.getServiceReferences(Supplier.class, "(besip.fixture=" + module + ")");
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    @SuppressWarnings("unchecked")
    private String greeting(String module) throws Exception {
        var refs = ctx.getServiceReferences(Supplier.class, "(besip.fixture=" + module + ")");
        assertTrue(module + "'s service is registered", !refs.isEmpty());
        var ref = refs.iterator().next();
        try {
            return ((Supplier<String>) ctx.getService(ref)).get();
        } finally {
            ctx.ungetService(ref);
        }
    }
}
