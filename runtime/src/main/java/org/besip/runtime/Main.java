package org.besip.runtime;

import java.lang.management.ManagementFactory;

import org.osgi.framework.launch.Framework;

/**
 * {@code bin/besip}: boots the box headless and runs until stopped (SIGTERM/SIGINT). On a
 * startup failure prints one line, {@code besip: cannot start: <reason>}, and exits non-zero:
 * 2 for configuration, 3 for the environment (port, data directory), 4 for the runtime.
 */
public final class Main {

    /** The file in the data directory that holds the pid of a box that is up. */
    static final String READY = "besip.ready";

    private Main() {
    }

    private static void unready(java.nio.file.Path ready) {
        try {
            java.nio.file.Files.deleteIfExists(ready);
        } catch (java.io.IOException e) {
            // a read-only or vanished data directory: the pid in it tells a later start it is stale
        }
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
        java.nio.file.Path ready = config.data().resolve(READY);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            unready(ready);
            launcher.stop();
        }, "besip-shutdown"));
        try {
            // what init scripts wait for (bin/besip-wait-ready): this process's pid, written once it serves
            java.nio.file.Files.writeString(ready, ProcessHandle.current().pid() + "\n");
        } catch (java.io.IOException e) {
            System.err.println("besip: warning: cannot write " + ready + ": " + e.getMessage());
        }
        System.out.println("besip: ready in " + launcher.sinceStart() + " ms: Web Console http://"
                + config.localHttpHost() + ":" + config.httpPort() + "/system/console (user admin, password in "
                + config.data().resolve("admin-password.txt") + ")");
        try {
            framework.waitForStop(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        unready(ready);
        System.out.println("besip: stopped");
        System.exit(0);
    }
}
