package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring module in the running box: enabled on the Modules API, configured over NETCONF
 * (ncclient), it captures RTP sent on loopback with libpcap, scores it, and answers the real
 * {@code zabbix_get} (Debian, installed by the test command).
 */
class MonitoringIT {

    @TempDir
    Path work;

    @Test
    void capturedRtpIsScoredAndReportedToZabbix() throws Exception {
        int zabbixPort = BesipOptions.freePort();
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            var r = box.post("action=enable&module=monitoring", null, null, Map.of());
            assertEquals(200, r.statusCode(), r.body());
            NetconfIT.runOn(box, "configure_monitoring", "true", "lo", String.valueOf(zabbixPort));
            awaitLog(box, "monitoring is running on [lo]");

            sendCall(100, 50, 5); // 100 packets of G.711 A-law, 5 lost in one burst
            String mos = "0";
            long deadline = System.currentTimeMillis() + 20_000;
            while (mos.equals("0") && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
                mos = zabbix(zabbixPort, "besip.monitoring.mos.avg[5]", null);
            }
            assertEquals(SEND_CALL_MOS, Double.parseDouble(mos), 0.05, "5% bursty loss on G.711: MOS " + mos);
            assertEquals(mos, zabbixGet(zabbixPort, "besip.monitoring.mos.avg[5]"), "the real zabbix_get reads the same");
            assertEquals("1", zabbixGet(zabbixPort, "agent.ping"));
            assertEquals("ENABLED", zabbixGet(zabbixPort, "besip.module.state[monitoring]"));
            assertTrue(zabbixGet(zabbixPort, "no.such.key").startsWith("ZBX_NOTSUPPORTED"), "unknown keys are not supported");
            assertEquals(null, zabbix(zabbixPort, "agent.ping", InetAddress.getByName("127.0.0.2")),
                    "an address outside Server= gets no answer");

            NetconfIT.runOn(box, "configure_monitoring", "false", "lo", String.valueOf(zabbixPort));
            awaitClosed(zabbixPort);
        }
    }

    /**
     * A stream in progress while the monitoring module is upgraded: the old version hands the
     * streams it measures to the new one (core's Handover), so the history holds one stream with
     * the packets of both versions, not two halves. The packets that pass while neither version
     * captures count as lost: the capture itself cannot be handed over (docs/handover.md).
     */
    @Test
    void aStreamInProgressGoesOnThroughAnUpgradeAsOneStream() throws Exception {
        int zabbixPort = BesipOptions.freePort();
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            var r = box.post("action=enable&module=monitoring", null, null, Map.of());
            assertEquals(200, r.statusCode(), r.body());
            NetconfIT.runOn(box, "configure_monitoring", "true", "lo", String.valueOf(zabbixPort), "5");
            awaitLog(box, "monitoring is running on [lo]");
            int total = 300; // 6 s of G.711 A-law
            java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.CompletableFuture<Void> stream = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
                    InetSocketAddress dst = new InetSocketAddress("127.0.0.1", BesipOptions.freePort());
                    for (int i = 0; i < total; i++) {
                        ByteBuffer b = ByteBuffer.allocate(172);
                        b.put((byte) 0x80).put((byte) 8).putShort((short) (7000 + i)).putInt(160 * i).putInt(0x5EED0002);
                        s.send(new DatagramPacket(b.array(), b.capacity(), dst));
                        sent.incrementAndGet();
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.currentTimeMillis() + 10_000;
            while (sent.get() < 75 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            var up = box.postJar("action=upgrade&module=monitoring", ModuleSwapIT.release(work, "besip-monitoring-", "1.0.1"));
            assertEquals(200, up.statusCode(), up.body());
            awaitLog(box, "took over 0 calls and 1 streams in progress from the previous version");
            deadline = System.currentTimeMillis() + 20_000;
            while (Files.readString(box.data().resolve("logs/besip.log")).split("monitoring is running on \\[lo]", -1).length < 3
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20); // the new version captures once its configuration is applied
            }
            int sentAfter = total - sent.get();
            stream.get(30, TimeUnit.SECONDS);
            assertTrue(sentAfter > 50, "the stream went on after the upgrade for " + sentAfter + " packets");
            String row = null;
            deadline = System.currentTimeMillis() + 30_000;
            while (row == null && System.currentTimeMillis() < deadline) {
                row = box.get("besip-quality.csv", "admin", box.password()).body().lines().filter(l -> l.contains("0x5EED0002")).findFirst()
                        .orElse(null);
                Thread.sleep(200);
            }
            String csv = box.get("besip-quality.csv", "admin", box.password()).body();
            System.out.println("the quality history after the upgrade:\n" + csv);
            assertEquals(1, csv.lines().filter(l -> l.contains("0x5EED0002")).count(), "one stream, not two halves:\n" + csv);
            int packets = Integer.parseInt(row.split(",")[5]);
            assertTrue(packets >= 75 + sentAfter - 5 && packets <= total, "the packets captured before and after the upgrade: " + row);
        }
    }

    /**
     * What the paper's E-model gives {@code sendCall(100, 50, 5)}, from the independent reference
     * table (bundles/monitoring/src/test/resources/emodel/emodel-reference.csv, row
     * {@code score,0.0,25.1,5.0,4.747…,20.0}): G.711 with PLC (Ie 0, Bpl 25.1), 5 % loss in one
     * burst, BurstR = 1 / (p + q) with p = 1/94 (one received packet of the 94 with a successor is
     * followed by a loss) and q = 1/5, the configured 20 ms delay, A = 0: R 74.66, MOS 3.807.
     */
    static final double SEND_CALL_MOS = 3.807;

    /** RTP packets 20 ms apart from 127.0.0.2 to 127.0.0.1, {@code lost} of them from {@code gapAt} not sent. */
    static void sendCall(int packets, int gapAt, int lost) throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            InetSocketAddress dst = new InetSocketAddress("127.0.0.1", BesipOptions.freePort());
            for (int i = 0; i < packets; i++) {
                if (i < gapAt || i >= gapAt + lost) {
                    ByteBuffer b = ByteBuffer.allocate(172);
                    b.put((byte) 0x80).put((byte) 8).putShort((short) (2000 + i)).putInt(160 * i).putInt(0x5EED0001);
                    s.send(new DatagramPacket(b.array(), b.capacity(), dst));
                }
                Thread.sleep(20);
            }
        }
    }

    /** The agent 6 protocol by hand; null when the agent closes without answering. */
    static String zabbix(int port, String key, InetAddress from) throws IOException {
        try (Socket s = new Socket()) {
            if (from != null) {
                s.bind(new InetSocketAddress(from, 0));
            }
            s.connect(new InetSocketAddress("127.0.0.1", port), 3000);
            s.setSoTimeout(5000);
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            ByteBuffer req = ByteBuffer.allocate(13 + k.length).order(ByteOrder.LITTLE_ENDIAN);
            req.put(new byte[] { 'Z', 'B', 'X', 'D', 1 }).putInt(k.length).putInt(0).put(k);
            s.getOutputStream().write(req.array());
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            if (all.length < 13) {
                return null;
            }
            return new String(all, 13, all.length - 13, StandardCharsets.UTF_8).replace('\0', ':');
        }
    }

    static String zabbixGet(int port, String key) throws Exception {
        Process p = new ProcessBuilder("zabbix_get", "-s", "127.0.0.1", "-p", String.valueOf(port), "-k", key)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    static void awaitLog(BesipProcess box, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.readString(box.data().resolve("logs/besip.log")).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the log never said: " + text + "\n" + box.output());
    }

    static void awaitClosed(int port) throws Exception {
        BesipProcess.awaitTcp("127.0.0.1", port, false, 10_000); // the Zabbix agent stopped with monitoring
    }
}
