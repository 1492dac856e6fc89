package org.besip.monitoring.internal.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.besip.core.api.quality.ImpairmentTable;
import org.besip.core.api.quality.QualityResult;
import org.besip.monitoring.internal.pcap.PcapException;
import org.besip.monitoring.internal.pcap.PcapFile;
import org.besip.core.api.quality.RtpAnalyzer;
import org.besip.core.api.quality.StreamStats;

/**
 * {@code bin/besip-vqm analyze FILE [--json] [--delay-ms N] [--advantage A] [--no-plc]}: speech
 * quality of every RTP stream in a capture, without the runtime. Exit status: 0 done (a capture
 * cut short still prints what it held, with a warning), 2 bad usage, 3 the file cannot be read.
 */
public final class VqmCommand {

    static final String USAGE = "usage: besip-vqm analyze FILE [--json] [--delay-ms N] [--advantage A] [--no-plc]";

    private VqmCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || !args[0].equals("analyze")) {
            err.println(USAGE);
            return 2;
        }
        Path file = Path.of(args[1]);
        boolean json = false;
        boolean plc = true;
        double delay = 0;
        double advantage = 0;
        try {
            for (int i = 2; i < args.length; i++) {
                switch (args[i]) {
                    case "--json" -> json = true;
                    case "--no-plc" -> plc = false;
                    case "--delay-ms" -> delay = number(args, ++i, 0, 10_000);
                    case "--advantage" -> advantage = number(args, ++i, 0, 20);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("besip-vqm: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        RtpAnalyzer analyzer = new RtpAnalyzer(Map.of());
        PcapFile.Result read;
        try {
            read = PcapFile.read(file, analyzer);
        } catch (PcapException e) {
            err.println("besip-vqm: " + e.getMessage());
            return 3;
        }
        if (read.truncated() != null) {
            err.println("besip-vqm: warning: " + file + ": " + read.truncated() + "; results cover the packets before");
        }
        ImpairmentTable table = ImpairmentTable.defaults(plc);
        List<QualityResult> results = new ArrayList<>();
        for (StreamStats s : analyzer.all()) {
            results.add(QualityResult.of(s, table, analyzer.oneWayDelayMs(s.key()), delay, advantage));
        }
        out.print(json ? json(results, read.start()) : table(results, read.start()));
        return 0;
    }

    private static double number(String[] args, int i, double min, double max) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a number");
        }
        try {
            double v = Double.parseDouble(args[i]);
            if (v < min || v > max || Double.isNaN(v)) {
                throw new IllegalArgumentException(args[i - 1] + " must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(args[i - 1] + " \"" + args[i] + "\" is not a number");
        }
    }

    static String json(List<QualityResult> results, double captureStart) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < results.size(); i++) {
            QualityResult q = results.get(i);
            StreamStats s = q.stats();
            sb.append(i == 0 ? "\n" : ",\n").append("  {");
            field(sb, "ssrc", s.key().ssrcHex(), true);
            field(sb, "src", s.key().src(), false);
            field(sb, "dst", s.key().dst(), false);
            field(sb, "codec", s.codec(), false);
            raw(sb, "payload_type", String.valueOf(s.payloadType()));
            raw(sb, "start", fmt(s.startS() - captureStart, 6));
            raw(sb, "end", fmt(s.endS() - captureStart, 6));
            raw(sb, "packets", String.valueOf(s.packets()));
            raw(sb, "expected", String.valueOf(s.expected()));
            raw(sb, "lost", String.valueOf(s.lost()));
            raw(sb, "lost_tshark", String.valueOf(s.lostTshark()));
            raw(sb, "duplicates", String.valueOf(s.duplicates()));
            raw(sb, "reordered", String.valueOf(s.reordered()));
            raw(sb, "loss_pct", fmt(s.lossPercent(), 3));
            raw(sb, "burst_r", fmt(s.burstR(), 3));
            raw(sb, "jitter_ms", fmt(s.jitterMs(), 3));
            raw(sb, "mean_jitter_ms", fmt(s.meanJitterMs(), 3));
            raw(sb, "max_jitter_ms", fmt(s.maxJitterMs(), 3));
            raw(sb, "max_delta_ms", fmt(s.maxDeltaMs(), 3));
            raw(sb, "delay_ms", fmt(q.delayMs(), 1));
            field(sb, "delay_source", q.delaySource(), false);
            raw(sb, "r", q.r() == null ? "null" : fmt(q.r(), 2));
            raw(sb, "mos", q.mos() == null ? "null" : fmt(q.mos(), 2));
            if (q.unscoredReason() != null) {
                field(sb, "unscored", q.unscoredReason(), false);
            }
            sb.append('}');
        }
        return sb.append(results.isEmpty() ? "]\n" : "\n]\n").toString();
    }

    static String table(List<QualityResult> results, double captureStart) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s %-22s %-22s %-10s %-6s %7s %6s %7s %9s %8s %6s %5s%n",
                "Start(s)", "Source", "Destination", "SSRC", "Codec", "Packets", "Lost", "Loss%", "Jitter ms", "Delay ms", "R", "MOS"));
        for (QualityResult q : results) {
            StreamStats s = q.stats();
            sb.append(String.format(Locale.ROOT, "%-10.3f %-22s %-22s %-10s %-6s %7d %6d %7.2f %9.3f %8.1f %6s %5s%n",
                    s.startS() - captureStart, s.key().src(), s.key().dst(), s.key().ssrcHex(), s.codec(), s.packets(), s.lost(),
                    s.lossPercent(), s.jitterMs(), q.delayMs(), q.r() == null ? "-" : fmt(q.r(), 1),
                    q.mos() == null ? "-" : fmt(q.mos(), 2)));
        }
        if (results.isEmpty()) {
            sb.append("no RTP streams\n");
        }
        return sb.toString();
    }

    private static String fmt(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static void field(StringBuilder sb, String k, String v, boolean first) {
        if (!first) {
            sb.append(", ");
        }
        sb.append('"').append(k).append("\": \"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }

    private static void raw(StringBuilder sb, String k, String v) {
        sb.append(", \"").append(k).append("\": ").append(v);
    }
}
