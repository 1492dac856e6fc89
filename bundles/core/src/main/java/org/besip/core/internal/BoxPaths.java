package org.besip.core.internal;

import java.nio.file.Path;

import org.osgi.framework.BundleContext;

/**
 * Where the box keeps things, from framework properties the launcher sets:
 * {@code besip.home} (the read-only install), {@code besip.data} (all writable state).
 */
public record BoxPaths(Path home, Path data, Path features, Path bundles) {

    public static final String HOME = "besip.home";
    public static final String DATA = "besip.data";
    public static final String FEATURES = "besip.features";
    public static final String BUNDLES = "besip.bundles";

    public static BoxPaths from(BundleContext ctx) {
        Path home = Path.of(prop(ctx, HOME, System.getProperty("user.dir"))).toAbsolutePath();
        Path data = Path.of(prop(ctx, DATA, home.resolve("data").toString())).toAbsolutePath();
        Path features = Path.of(prop(ctx, FEATURES, home.resolve("features").toString())).toAbsolutePath();
        Path bundles = Path.of(prop(ctx, BUNDLES, home.resolve("bundles").toString())).toAbsolutePath();
        return new BoxPaths(home, data, features, bundles);
    }

    private static String prop(BundleContext ctx, String key, String fallback) {
        String v = ctx.getProperty(key);
        return v == null || v.isBlank() ? fallback : v;
    }
}
