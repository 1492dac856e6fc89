package org.besip.runtime;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The launcher's settings: {@code conf/besip.properties} (or {@code BESIP_CONF}), then system
 * properties ({@code -Dkey=value}) over it. {@code BESIP_DATA} (or {@code besip.data}) moves all
 * writable state, logs included, so that the install itself can be read-only.
 */
record LaunchConfig(Path home, Path confFile, Path data, Path logs, String httpHost, int httpPort,
        String netconfHost, int netconfPort, Map<String, String> properties) {

    static final String HTTP_HOST = "besip.http.host";
    static final String HTTP_PORT = "besip.http.port";
    static final String NETCONF_HOST = "besip.netconf.host";
    static final String NETCONF_PORT = "besip.netconf.port";

    static LaunchConfig load(Map<String, String> env, Properties system) throws StartupException {
        Path home = Path.of(system.getProperty("besip.home", ".")).toAbsolutePath().normalize();
        Path conf = Path.of(env.getOrDefault("BESIP_CONF", home.resolve("conf/besip.properties").toString()))
                .toAbsolutePath();
        Properties file = new Properties();
        if (!Files.isReadable(conf)) {
            throw new StartupException(StartupException.CONFIG, "cannot read configuration " + conf
                    + (Files.exists(conf) ? " (permission denied)" : " (no such file)"));
        }
        try (Reader in = Files.newBufferedReader(conf, StandardCharsets.UTF_8)) {
            file.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new StartupException(StartupException.CONFIG, "cannot read configuration " + conf + ": " + e.getMessage());
        }
        Map<String, String> props = new LinkedHashMap<>();
        file.stringPropertyNames().forEach(k -> props.put(k, file.getProperty(k).trim()));
        for (String k : system.stringPropertyNames()) {
            if (k.startsWith("besip.") || k.startsWith("felix.") || k.startsWith("org.osgi.") || k.startsWith("org.apache.felix.")) {
                props.put(k, system.getProperty(k));
            }
        }
        String dataSetting = env.get("BESIP_DATA");
        if (dataSetting == null || dataSetting.isBlank()) {
            dataSetting = props.get("besip.data");
        }
        Path data = dataSetting == null || dataSetting.isBlank() ? home.resolve("data") : Path.of(dataSetting).toAbsolutePath();
        String logsSetting = props.get("besip.logs");
        Path logs = logsSetting != null && !logsSetting.isBlank() ? Path.of(logsSetting).toAbsolutePath()
                : data.equals(home.resolve("data")) ? home.resolve("logs") : data.resolve("logs");
        String host = props.getOrDefault(HTTP_HOST, "0.0.0.0");
        if (host.isBlank()) {
            throw new StartupException(StartupException.CONFIG, conf + ": " + HTTP_HOST + " is empty");
        }
        int port = port(HTTP_PORT, props.getOrDefault(HTTP_PORT, "8080"), conf);
        String netconfHost = props.getOrDefault(NETCONF_HOST, "0.0.0.0");
        int netconfPort = port(NETCONF_PORT, props.getOrDefault(NETCONF_PORT, "830"), conf);
        if (netconfPort == port) {
            throw new StartupException(StartupException.CONFIG, conf + ": " + HTTP_PORT + " and " + NETCONF_PORT
                    + " are both " + port);
        }
        props.put(NETCONF_HOST, netconfHost);
        props.put(NETCONF_PORT, String.valueOf(netconfPort));
        return new LaunchConfig(home, conf, data, logs, host, port, netconfHost, netconfPort, props);
    }

    private static int port(String key, String value, Path conf) throws StartupException {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StartupException(StartupException.CONFIG, conf + ": " + key + " \"" + value
                + "\" is not a port number (1-65535)");
    }

    /** The host to reach the Web Console from this box. */
    String localHttpHost() {
        return httpHost.equals("0.0.0.0") || httpHost.equals("::") ? "127.0.0.1" : httpHost;
    }
}
