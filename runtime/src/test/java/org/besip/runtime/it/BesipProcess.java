package org.besip.runtime.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/besip} of the built distribution as a child process: no TTY (stdin from /dev/null),
 * its own data directory and port, output captured to a file.
 */
public final class BesipProcess implements AutoCloseable {

    public static final long BOOT_TIMEOUT_MS = 60_000;

    private final Path data;
    private final int port;
    private final int netconfPort;
    private final int sipPort;
    private final Path out;
    private final Process process;

    private BesipProcess(Path data, int port, int netconfPort, int sipPort, Path out, Process process) {
        this.data = data;
        this.port = port;
        this.netconfPort = netconfPort;
        this.sipPort = sipPort;
        this.out = out;
        this.process = process;
    }

    /** Starts the box and waits until it says it is ready. */
    public static BesipProcess boot(Path data, int port, String... opts) throws Exception {
        BesipProcess p = start(data, port, Map.of(), opts);
        p.awaitOutput("besip: ready in ");
        return p;
    }

    /** @param port the Web Console port, or 0 to leave it to the configuration file */
    /**
     * Waits (at most 10 s) until something listens on UDP {@code port} of 127.0.0.1, read from
     * /proc/net/udp so the probe never holds the port itself.
     */
    public static void awaitUdpListener(int port) throws Exception {
        awaitUdpListener("127.0.0.1", port);
    }

    /**
     * Waits (at most {@code timeoutMs}) until TCP {@code host:port} accepts a connection, or, with
     * {@code listening} false, until it refuses one.
     */
    public static void awaitTcp(String host, int port, boolean listening, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            boolean accepts;
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(host, port), 1000);
                accepts = true;
            } catch (IOException e) {
                accepts = false;
            }
            if (accepts == listening) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(host + ":" + port + (listening ? " never listened" : " still listens"));
    }

    /** Waits until something listens on UDP {@code ip:port} (an IPv4 address; /proc/net/udp), at most 10 s. */
    public static void awaitUdpListener(String ip, int port) throws Exception {
        byte[] b = java.net.InetAddress.getByName(ip).getAddress();
        String local = String.format("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], port);
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/udp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1 && f[1].equalsIgnoreCase(local)) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing listens on UDP " + ip + ":" + port + " after 10 s");
    }

    /**
     * SIP listens on both UDP and TCP: a port free for both. Drawn from 20000-29999, below the
     * kernel's ephemeral range (32768 and up) and the box's media ports (30000 and up), so that no
     * socket a test's peers open with port 0 takes it between this check and its use.
     */
    static int freeUdpAndTcpPort() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 20000 + random.nextInt(10000);
            try (java.net.DatagramSocket u = new java.net.DatagramSocket(port);
                    java.net.ServerSocket t = new java.net.ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no port free for both UDP and TCP in 20000-29999");
    }

    public static BesipProcess start(Path data, int port, Map<String, String> env, String... opts) throws IOException {
        return start(data, port, env, List.of("setsid", "-w", BesipOptions.dist().resolve("bin/besip").toString()), opts);
    }

    /** The same with {@code command} (it ends in bin/besip) in place of {@code setsid -w bin/besip}. */
    public static BesipProcess start(Path data, int port, Map<String, String> env, List<String> command, String... opts) throws IOException {
        Path out = Files.createTempFile("besip-out", ".txt");
        int netconfPort = BesipOptions.freePort();
        int sipPort = freeUdpAndTcpPort();
        List<String> jvm = new ArrayList<>(List.of("-Dbesip.http.host=127.0.0.1", "-Dbesip.netconf.host=127.0.0.1",
                "-Dbesip.netconf.port=" + netconfPort, "-Dbesip.sip.host=127.0.0.1", "-Dbesip.sip.port=" + sipPort));
        if (port > 0) {
            jvm.add("-Dbesip.http.port=" + port);
        }
        jvm.addAll(List.of(opts));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().put("BESIP_DATA", data.toString());
        pb.environment().put("BESIP_OPTS", String.join(" ", jvm));
        pb.environment().putAll(env);
        return new BesipProcess(data, port, netconfPort, sipPort, out, pb.start());
    }

    public void awaitOutput(String text) throws Exception {
        long deadline = System.currentTimeMillis() + BOOT_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (output().contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("besip exited with " + process.exitValue() + " before printing '" + text
                        + "':\n" + output());
            }
            process.waitFor(50, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("besip did not print '" + text + "' within " + BOOT_TIMEOUT_MS + " ms:\n" + output());
    }

    /**
     * What the box is doing, for a failure's message: a thread dump of its JVM (jcmd, at most 15 s)
     * and the last lines of its log.
     */
    public String diagnostics() {
        StringBuilder sb = new StringBuilder();
        try {
            java.util.Optional<ProcessHandle> jvm = process.toHandle().descendants()
                    .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false)).findFirst();
            if (jvm.isPresent()) {
                Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
                Process dump = new ProcessBuilder(jcmd.toString(), String.valueOf(jvm.get().pid()), "Thread.print").redirectErrorStream(true)
                        .start();
                String threads = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!dump.waitFor(15, TimeUnit.SECONDS)) {
                    dump.destroyForcibly();
                }
                sb.append("--- threads of the box (pid ").append(jvm.get().pid()).append(") ---\n").append(threads);
            }
            List<String> log = Files.readAllLines(data.resolve("logs/besip.log"), StandardCharsets.UTF_8);
            sb.append("--- the box's log, last 80 lines ---\n");
            log.subList(Math.max(0, log.size() - 80), log.size()).forEach(l -> sb.append(l).append('\n'));
        } catch (IOException | InterruptedException | RuntimeException e) {
            sb.append("(diagnostics incomplete: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    /** Waits for the process to end by itself and returns its exit status. */
    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(BOOT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("besip did not exit");
        }
        return process.exitValue();
    }

    public String output() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    public Path data() {
        return data;
    }

    public int port() {
        return port;
    }

    public int netconfPort() {
        return netconfPort;
    }

    public int sipPort() {
        return sipPort;
    }

    public String password() throws IOException {
        return Files.readString(data.resolve("admin-password.txt")).trim();
    }

    public String base() {
        return "http://127.0.0.1:" + port + "/system/console/";
    }

    /** A console page's address with the admin's credentials in it, for a browser's first request. */
    public String loggedIn(String page) throws IOException {
        return "http://admin:" + password() + "@127.0.0.1:" + port + "/system/console/" + page;
    }

    public HttpResponse<String> get(String path, String user, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        auth(b, user, password);
        return client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POST to the JSON API with query parameters and, if given, a body of the given type. */
    public HttpResponse<String> post(String query, byte[] body, String contentType, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + "besip-modules.json?" + query))
                .timeout(Duration.ofSeconds(120))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        auth(b, "admin", password());
        return client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A form POST to a console page ({@code page}: its label), with the admin's credentials and, if given, an Origin. */
    public HttpResponse<String> postForm(String page, String form, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + page)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) {
            b.header("Origin", origin);
        }
        auth(b, "admin", password());
        return client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> postJar(String query, Path jar) throws Exception {
        return post(query, Files.readAllBytes(jar), "application/java-archive", Map.of());
    }

    /** The jar as part {@code bundle} of a multipart/form-data body. */
    public HttpResponse<String> postMultipart(String query, Path jar) throws Exception {
        String boundary = "besip" + System.nanoTime();
        var body = new java.io.ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return post(query, body.toByteArray(), "multipart/form-data; boundary=" + boundary, Map.of());
    }

    private static void auth(HttpRequest.Builder b, String user, String password) {
        if (user != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Stops the box with SIGTERM, as an init system would, and waits for it. */
    public int stop() throws InterruptedException {
        process.toHandle().descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }
}
