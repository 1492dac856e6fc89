package org.besip.netconf.internal.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes NETCONF messages in the framing the session negotiated (RFC 6242). */
public final class MessageWriter {

    private final OutputStream out;
    private volatile boolean chunked;

    public MessageWriter(OutputStream out) {
        this.out = out;
    }

    public void useChunkedFraming() {
        chunked = true;
    }

    /** One whole message; callers on several threads (replies, notifications) never interleave. */
    public synchronized void write(byte[] message) throws IOException {
        if (chunked) {
            out.write(("\n#" + message.length + "\n").getBytes(StandardCharsets.US_ASCII));
            out.write(message);
            out.write("\n##\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            out.write(message);
            out.write("]]>]]>".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
    }
}
