package org.besip.pbx.internal.media;

/**
 * Mixes one call's two directions into 16-bit PCM at 8 kHz (the relay thread feeds it, never
 * waits): each packet's G.711 samples are decoded and added where they belong in time (the
 * packet's arrival, never before the end of the same side's previous packet), into a window of
 * {@link #WINDOW} samples; what is older than {@link #SETTLE} samples is clipped and handed to
 * {@code out}, as little-endian bytes. Other payload types (DTMF events, comfort noise, codecs
 * other than G.711) add nothing.
 */
public final class Recorder {

    /** Where the mixed audio goes, a chunk at a time (the recordings' writer thread). */
    public interface Sink {
        void write(byte[] pcm);

        void close(long samples);
    }

    static final int RATE = 8000;
    static final int WINDOW = 4 * RATE;
    /** How late a packet may come and still be mixed where it belongs: half a second. */
    static final int SETTLE = RATE / 2;

    private final Sink out;
    private final long startNanos;
    private final int[] mix = new int[WINDOW];
    /** The absolute sample index of {@code mix[0]}. */
    private long base;
    private final long[] next = new long[2];
    private long written;
    private boolean closed;

    public Recorder(Sink out, long startNanos) {
        this.out = out;
        this.startNanos = startNanos;
    }

    /** A packet's payload from one side ({@code side} 0 the caller, 1 the callee) that arrived at {@code nanos}. */
    public synchronized void add(int side, int payloadType, byte[] b, int off, int len, long nanos) {
        if (closed || (payloadType != 0 && payloadType != 8) || len <= 0) {
            return;
        }
        long now = (nanos - startNanos) * RATE / 1_000_000_000L;
        long at = Math.max(next[side], now - len);
        if (at < base) {
            return; // too late for the window
        }
        if (at + len - base > WINDOW) {
            flush(at + len - WINDOW + SETTLE);
        }
        for (int i = 0; i < len; i++) {
            mix[(int) (at - base) + i] += G711.decode(payloadType, b[off + i]);
        }
        next[side] = at + len;
    }

    /** Hands over what is settled by {@code nanos} (older than half a second). */
    public synchronized void tick(long nanos) {
        if (!closed) {
            flush((nanos - startNanos) * RATE / 1_000_000_000L - SETTLE);
        }
    }

    /** Hands over the rest and ends the recording; returns its length in samples. */
    public synchronized long close() {
        if (closed) {
            return written;
        }
        flush(Math.max(next[0], next[1]));
        closed = true;
        out.close(written);
        return written;
    }

    /** Writes out the window up to the absolute sample {@code until} and moves the window on. */
    private void flush(long until) {
        int n = (int) Math.min(WINDOW, until - base);
        if (n <= 0) {
            return;
        }
        byte[] pcm = new byte[2 * n];
        for (int i = 0; i < n; i++) {
            int v = Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, mix[i]));
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        System.arraycopy(mix, n, mix, 0, WINDOW - n);
        java.util.Arrays.fill(mix, WINDOW - n, WINDOW, 0);
        base += n;
        written += n;
        out.write(pcm);
    }
}
