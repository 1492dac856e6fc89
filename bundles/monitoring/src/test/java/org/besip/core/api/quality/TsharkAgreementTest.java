package org.besip.core.api.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.besip.monitoring.internal.pcap.PcapFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * besip's stream statistics against tshark's ({@code -z rtp,streams}, run on the spot; the output
 * saved beside each capture is what tshark 4.0 said when the fixtures were made) on the same real
 * captures, each also as pcapng and as nanosecond pcap (editcap's copies): packets, lost (on tshark's own definition), min/max/mean delta,
 * mean and max jitter.
 */
class TsharkAgreementTest {

    static final Path PCAPS = Path.of(System.getProperty("besip.shared.pcaps", "src/test/resources/pcap"));
    // start end src sport dst dport ssrc payload pkts lost (pct) minD meanD maxD minJ meanJ maxJ
    static final Pattern ROW = Pattern.compile("\\s*([\\d.]+)\\s+([\\d.]+)\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+(\\d+)\\s+(0x[0-9A-F]+)"
            + "\\s+(.+?)\\s+(\\d+)\\s+(-?\\d+) \\(\\S+\\)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+(-?[\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+).*");

    record Row(String src, String dst, long ssrc, String payload, long pkts, long lost, double minD, double meanD,
            double maxD, double meanJ, double maxJ) {
    }

    /** tshark's streams for {@code pcap}, run now (Debian tshark, installed by the test command). */
    static List<Row> tshark(Path pcap) throws Exception {
        Process p = new ProcessBuilder("tshark", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-z", "rtp,streams", "-r",
                pcap.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "tshark hung on " + pcap);
        assertEquals(0, p.exitValue(), "tshark failed on " + pcap);
        List<Row> rows = new ArrayList<>();
        for (String line : out.lines().toList()) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                rows.add(new Row(m.group(3) + ":" + m.group(4), m.group(5) + ":" + m.group(6), Long.parseLong(m.group(7).substring(2), 16),
                        m.group(8), Long.parseLong(m.group(9)), Long.parseLong(m.group(10)), Double.parseDouble(m.group(11)),
                        Double.parseDouble(m.group(12)), Double.parseDouble(m.group(13)), Double.parseDouble(m.group(15)),
                        Double.parseDouble(m.group(16))));
            }
        }
        return rows;
    }

    @TestFactory
    Stream<DynamicTest> everyStreamOfEveryCaptureAgreesWithTshark() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (var files = Files.list(PCAPS)) {
            Path copies = Files.createTempDirectory("besip-pcap");
            copies.toFile().deleteOnExit();
            for (Path pcap : files.filter(f -> f.toString().endsWith(".pcap")).sorted().toList()) {
                String name = pcap.getFileName().toString();
                tests.add(DynamicTest.dynamicTest(name, () -> compare(pcap)));
                // the same packets as pcapng and as nanosecond pcap, written by Wireshark's editcap
                for (String format : List.of("pcapng", "nsecpcap")) {
                    tests.add(DynamicTest.dynamicTest(name + " as " + format, () -> {
                        Path copy = copies.resolve(name + "." + format);
                        Process p = new ProcessBuilder("editcap", "-F", format, pcap.toString(), copy.toString())
                                .redirectErrorStream(true).start();
                        p.getInputStream().readAllBytes();
                        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "editcap hung");
                        assertEquals(0, p.exitValue(), "editcap -F " + format + " " + pcap);
                        try {
                            compare(copy);
                        } finally {
                            Files.deleteIfExists(copy);
                        }
                    }));
                }
            }
        }
        assertTrue(tests.size() >= 18);
        return tests.stream();
    }

    static void compare(Path pcap) throws Exception {
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        PcapFile.Result r = PcapFile.read(pcap, a);
        assertEquals(null, r.truncated());
        List<Row> expected = tshark(pcap);
        assertTrue(!expected.isEmpty(), "tshark found streams in " + pcap);
        List<StreamStats> ours = a.all();
        assertEquals(expected.size(), ours.size(), "number of streams in " + pcap);
        for (Row t : expected) {
            StreamStats s = ours.stream().filter(o -> o.key().ssrc() == t.ssrc() && o.key().src().equals(t.src())
                    && o.key().dst().equals(t.dst())).findFirst().orElse(null);
            assertNotNull(s, "stream " + Long.toHexString(t.ssrc()) + " " + t.src() + " -> " + t.dst());
            String what = pcap.getFileName() + " " + s.key().ssrcHex() + ": ";
            assertEquals(t.pkts(), s.packets(), what + "packets");
            assertEquals(t.lost(), s.lostTshark(), what + "lost (tshark's definition)");
            assertEquals(t.maxD(), s.maxDeltaMs(), 0.0015, what + "max delta");
            assertEquals(t.minD(), s.minDeltaMs(), 0.0015, what + "min delta");
            assertEquals(t.meanD(), s.meanDeltaMs(), 0.01, what + "mean delta");
            if (!t.payload().contains("event")) { // tshark computes no jitter for RFC 2833 events
                assertEquals(t.maxJ(), s.maxJitterMs(), Math.max(0.0015, t.maxJ() * 0.005), what + "max jitter");
                assertEquals(t.meanJ(), s.meanJitterMs(), Math.max(0.0015, t.meanJ() * 0.02), what + "mean jitter");
            }
        }
    }
}
