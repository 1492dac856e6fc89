package org.besip.runtime;

import java.lang.management.ManagementFactory;

import org.osgi.framework.launch.Framework;

/**
 * {@code bin/besip}: boots the box headless and runs until stopped (SIGTERM/SIGINT). On a
 * startup failure prints one line, {@code besip: cannot start: <reason>}, and exits non-zero:
 * 2 for configuration, 3 for the environment (port, data directory), 4 for the runtime.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        long t0 = ManagementFactory.getRuntimeMXBean().getStartTime();
        Launcher launcher;
        Framework framework;
        LaunchConfig config;
        try {
            config = LaunchConfig.load(System.getenv(), System.getProperties());
            launcher = new Launcher(config, t0);
            framework = launcher.start();
        } catch (StartupException e) {
            System.err.println("besip: cannot start: " + e.getMessage());
            System.exit(e.exitCode());
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "besip-shutdown"));
        System.out.println("besip: ready in " + launcher.sinceStart() + " ms: Web Console http://"
                + config.localHttpHost() + ":" + config.httpPort() + "/system/console (user admin, password in "
                + config.data().resolve("admin-password.txt") + ")");
        try {
            framework.waitForStop(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.println("besip: stopped");
        System.exit(0);
    }
}
