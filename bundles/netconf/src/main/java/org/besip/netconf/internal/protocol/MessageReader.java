package org.besip.netconf.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads NETCONF messages off an SSH channel (RFC 6242): end-of-message framing ({@code ]]>]]>})
 * until both sides said base:1.1 in their hello, chunked framing after. Every message is bounded,
 * so a peer cannot make the box buffer without end.
 */
public final class MessageReader {

    private static final byte[] EOM = "]]>]]>".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** RFC 6242 §4.2: chunk-size is 1..4294967295; we also bound the whole message. */
    private static final long MAX_CHUNK = 4294967295L;

    private final InputStream in;
    private final int maxMessageBytes;
    private boolean chunked;
    private boolean helloChunked;

    public MessageReader(InputStream in, int maxMessageBytes) {
        // framing is read a byte at a time; the SSH channel's stream locks on every read
        this.in = new java.io.BufferedInputStream(in, 64 * 1024);
        this.maxMessageBytes = maxMessageBytes;
    }

    public void useChunkedFraming() {
        chunked = true;
    }

    /**
     * The peer's hello, in the framing it came in. RFC 6242 §4.1 says a hello ends with {@code ]]>]]>};
     * Debian's ncclient 0.6.13 sometimes frames its hello in chunks instead (ncclient issue #524: its
     * transport thread reads the server's hello and switches to base:1.1 before it sends its own
     * queued hello). The box cannot ask such a client again, and waiting for a {@code ]]>]]>} that
     * never comes leaves the session hanging, so a hello that opens with a chunk header is read as
     * one chunked message; {@link #helloWasChunked()} says which it was.
     */
    public byte[] nextHello() throws IOException {
        in.mark(3);
        int lf = in.read();
        int hash = in.read();
        int digit = in.read();
        in.reset();
        if (lf == '\n' && hash == '#' && digit >= '1' && digit <= '9') {
            helloChunked = true;
            return nextChunked();
        }
        return nextEom();
    }

    /** Whether the peer's hello came in chunked framing (see {@link #nextHello()}). */
    public boolean helloWasChunked() {
        return helloChunked;
    }

    /** The next message, or null when the peer closed the channel between messages. */
    public byte[] next() throws IOException {
        return chunked ? nextChunked() : nextEom();
    }

    private byte[] nextEom() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long discarded = 0; // past the limit: read to the end of the message, kept nowhere
        int matched = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (buf.size() == 0 && matched == 0 && discarded == 0) {
                    return null;
                }
                throw new EOFException("the channel closed inside a message");
            }
            if (b == EOM[matched]) {
                matched++;
                if (matched == EOM.length) {
                    if (discarded > 0) {
                        throw new TooBig(buf.size() + discarded, maxMessageBytes);
                    }
                    return buf.toByteArray();
                }
                continue;
            }
            if (matched > 0) {
                if (discarded > 0) {
                    discarded += matched;
                } else {
                    buf.write(EOM, 0, matched);
                }
                matched = b == EOM[0] ? 1 : 0;
                if (matched == 1) {
                    continue;
                }
            }
            if (discarded > 0 || buf.size() >= maxMessageBytes) {
                discarded++;
                giveUpPast(buf.size() + discarded);
            } else {
                buf.write(b);
            }
        }
    }

    /** A message still going at 64 times the limit is not an edit that is too big but a stream: the session ends. */
    private void giveUpPast(long size) throws FramingException {
        if (size > 64L * maxMessageBytes) {
            throw new FramingException("message larger than " + 64L * maxMessageBytes + " bytes and still going");
        }
    }

    private byte[] nextChunked() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long discarded = 0;
        boolean first = true;
        while (true) {
            int lf = in.read();
            if (lf < 0 && first) {
                return null;
            }
            expect(lf, '\n');
            expect(in.read(), '#');
            int c = in.read();
            if (c == '#') {
                expect(in.read(), '\n');
                if (first) {
                    throw new FramingException("a message must have at least one chunk");
                }
                if (discarded > 0) {
                    throw new TooBig(buf.size() + discarded, maxMessageBytes);
                }
                return buf.toByteArray();
            }
            long size = 0;
            int digits = 0;
            while (c != '\n') {
                if (c < '0' || c > '9' || (digits == 0 && c == '0') || ++digits > 10) {
                    throw new FramingException("bad chunk size");
                }
                size = size * 10 + (c - '0');
                c = in.read();
            }
            if (digits == 0 || size > MAX_CHUNK) {
                throw new FramingException("bad chunk size");
            }
            if (discarded > 0 || buf.size() + size > maxMessageBytes) {
                discarded += size;
                giveUpPast(buf.size() + discarded);
                in.skipNBytes(size); // EOFException when the channel closes inside it
                first = false;
                continue;
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length != size) {
                throw new EOFException("the channel closed inside a chunk");
            }
            buf.write(chunk);
            first = false;
        }
    }

    private static void expect(int got, char want) throws IOException {
        if (got < 0) {
            throw new EOFException("the channel closed inside a chunk header");
        }
        if (got != want) {
            throw new FramingException("chunked framing: expected '" + (want == '\n' ? "\\n" : String.valueOf(want))
                    + "' but got byte " + got);
        }
    }

    /**
     * A whole message came that is larger than the limit: it was read to its end and dropped, so
     * the session can answer it with a too-big rpc-error and go on (RFC 6241 appendix A).
     */
    public static final class TooBig extends IOException {
        private static final long serialVersionUID = 1L;
        private final long size;
        private final int limit;

        TooBig(long size, int limit) {
            super("message of " + size + " bytes, larger than " + limit);
            this.size = size;
            this.limit = limit;
        }

        public long size() {
            return size;
        }

        public int limit() {
            return limit;
        }
    }
}
