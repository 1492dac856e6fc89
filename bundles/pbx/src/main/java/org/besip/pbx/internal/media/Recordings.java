package org.besip.pbx.internal.media;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The box's call recordings: one WAV file (16-bit PCM, 8 kHz, mono: both directions mixed) per
 * recorded call under {@code <data>/recordings/<date>/}, written by one thread of its own
 * ({@code pbx-recorder}) from a bounded queue, so the relay never waits for the disk (a full queue
 * loses audio, counted and logged, never the call). Retention: after each recording and at
 * start, files older than the maximum age go, then the oldest until the total fits the maximum
 * size.
 */
public final class Recordings implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Recordings.class);
    /** A recording's name under the folder: its day, then time and a hash of its Call-ID. */
    public static final Pattern NAME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}/\\d{6}-[0-9a-f]{16}\\.wav");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);

    /** Told of each recording once its file is complete: the call, the file's name under the folder, its length. */
    public interface Done {
        void recorded(String callId, String name, double seconds);
    }

    /** How long recordings are kept and how much room they may take. */
    public record Retention(long maxAgeMs, long maxTotalBytes) {
        public static final Retention DEFAULT = new Retention(30L * 86_400_000L, 1024L * 1024 * 1024);
    }

    private final Path dir;
    private volatile Retention retention;
    private final Done done;
    private final ThreadPoolExecutor writer;
    private volatile long lost;

    public Recordings(Path dir, Retention retention, Done done) {
        this.dir = dir;
        this.retention = retention;
        this.done = done;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(4096), r -> {
            Thread t = new Thread(r, "pbx-recorder");
            t.setDaemon(true);
            return t;
        }, (r, e) -> lost++);
        writer.execute(this::enforce);
    }

    public Path dir() {
        return dir;
    }

    public void retention(Retention r) {
        this.retention = r;
        writer.execute(this::enforce);
    }

    /** Chunks of audio lost to a full queue, since start. */
    public long lost() {
        return lost;
    }

    /** The file name a call's recording gets, under the folder (its day, the time, a hash of its Call-ID). */
    static String name(String callId, long nowMs) {
        Instant t = Instant.ofEpochMilli(nowMs);
        long h = 1125899906842597L;
        for (int i = 0; i < callId.length(); i++) {
            h = 31 * h + callId.charAt(i);
        }
        return DAY.format(t) + "/" + TIME.format(t) + "-" + String.format("%016x", h ^ (nowMs * 0x9E3779B97F4A7C15L));
    }

    /** A recorder for {@code callId}, its file started now; returns it with the name of its file. */
    public Recorder start(String callId, long nowMs, long nowNanos, String[] nameOut) {
        String name = name(callId, nowMs) + ".wav";
        nameOut[0] = name;
        Path file = dir.resolve(name);
        RandomAccessFile[] raf = new RandomAccessFile[1];
        writer.execute(() -> {
            try {
                Files.createDirectories(file.getParent());
                raf[0] = new RandomAccessFile(file.toFile(), "rw");
                raf[0].setLength(0);
                raf[0].write(header(0));
            } catch (IOException e) {
                LOG.warn("recording {}: {}", file, e.toString());
                raf[0] = null;
            }
        });
        return new Recorder(new Recorder.Sink() {
            @Override
            public void write(byte[] pcm) {
                writer.execute(() -> {
                    try {
                        if (raf[0] != null) {
                            raf[0].write(pcm);
                        }
                    } catch (IOException e) {
                        LOG.warn("recording {}: {}", file, e.toString());
                    }
                });
            }

            @Override
            public void close(long samples) {
                writer.execute(() -> {
                    try {
                        if (raf[0] == null) {
                            return;
                        }
                        long bytes = raf[0].length() - 44;
                        raf[0].seek(0);
                        raf[0].write(header(bytes));
                        raf[0].close();
                        LOG.info("recorded call {} to recordings/{} ({} s)", callId, name, String.format(java.util.Locale.ROOT, "%.1f", bytes / 16000.0));
                        done.recorded(callId, name, bytes / 16000.0);
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("recording {}: {}", file, e.toString());
                    }
                    enforce();
                });
            }
        }, nowNanos);
    }

    /** A WAV header for {@code dataBytes} of 16-bit mono PCM at 8 kHz. */
    static byte[] header(long dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt((int) Math.min(0xFFFFFFFFL, 36 + dataBytes));
        b.put("WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1);
        b.putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt((int) Math.min(0xFFFFFFFFL, dataBytes));
        return b.array();
    }

    /** One recording on disk. */
    public record Entry(String name, long bytes, long modifiedMs) {
        public double seconds() {
            return Math.max(0, bytes - 44) / 16000.0;
        }
    }

    /** The recordings on disk, newest first. */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (var days = Files.list(dir)) {
            for (Path day : days.filter(Files::isDirectory).toList()) {
                try (var files = Files.list(day)) {
                    for (Path f : files.toList()) {
                        String name = day.getFileName() + "/" + f.getFileName();
                        if (NAME.matcher(name).matches()) {
                            out.add(new Entry(name, Files.size(f), Files.getLastModifiedTime(f).toMillis()));
                        }
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("recordings: {}", e.toString());
        }
        out.sort(Comparator.comparingLong(Entry::modifiedMs).reversed().thenComparing(Entry::name, Comparator.reverseOrder()));
        return out;
    }

    /** The file of a recording named {@code name} (as {@link #list} names it), or null for any other name. */
    public Path file(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return null;
        }
        Path f = dir.resolve(name).normalize();
        return f.startsWith(dir) && Files.isRegularFile(f) ? f : null;
    }

    /** Deletes what is older than the maximum age, then the oldest until the rest fits the maximum size. */
    void enforce() {
        Retention r = retention;
        long now = System.currentTimeMillis();
        List<Entry> all = list();
        long total = 0;
        List<Entry> keep = new ArrayList<>();
        for (Entry e : all) {
            if (now - e.modifiedMs() > r.maxAgeMs()) {
                delete(e, "older than the maximum age");
            } else {
                keep.add(e);
                total += e.bytes();
            }
        }
        for (int i = keep.size() - 1; i >= 0 && total > r.maxTotalBytes(); i--) {
            Entry e = keep.get(i);
            delete(e, "the recordings exceed their maximum size");
            total -= e.bytes();
        }
    }

    private void delete(Entry e, String why) {
        try {
            Files.deleteIfExists(dir.resolve(e.name()));
            LOG.info("recording {} deleted: {}", e.name(), why);
        } catch (IOException x) {
            LOG.warn("recording {}: {}", e.name(), x.toString());
        }
    }

    /** Waits (at most 5 s) for what is queued; tests and a stopping module. */
    public void drain() {
        try {
            writer.submit(() -> { }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // a stuck disk: what is left is lost
        }
    }

    @Override
    public void close() {
        drain();
        writer.shutdown();
    }
}
