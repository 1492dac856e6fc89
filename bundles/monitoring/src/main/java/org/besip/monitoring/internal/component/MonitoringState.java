package org.besip.monitoring.internal.component;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import org.besip.core.api.quality.RtpAnalyzer;
import org.besip.monitoring.internal.calls.CallRegistry;

/**
 * What the monitoring module hands to its next version (core's {@code Handover}), format
 * {@value #VERSION} (docs/handover.md): the calls it knows ({@link CallRegistry#write}: their
 * media endpoints and payload types, so the capture filter and the streams' calls carry on), a
 * boolean, and when true the analyser's streams in progress ({@link RtpAnalyzer#write}: each
 * stream's sequence, loss, timing and jitter state, the RTCP round trips). Pure.
 */
final class MonitoringState {

    static final int VERSION = 1;

    private MonitoringState() {
    }

    static byte[] encode(CallRegistry calls, RtpAnalyzer analyzer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            calls.write(out);
            out.writeBoolean(analyzer != null);
            if (analyzer != null) {
                synchronized (analyzer) {
                    analyzer.write(out);
                }
            }
        }
        return bytes.toByteArray();
    }

    /**
     * Adds the handed calls to {@code calls}; returns the handed analyser (null: none), which
     * reads dynamic payload types from {@code calls}.
     * @throws IOException the bytes are not a format {@value #VERSION} state
     */
    static RtpAnalyzer decode(byte[] data, CallRegistry calls) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        CallRegistry read = new CallRegistry(); // all or nothing: a corrupt state adds no call
        read.read(in);
        RtpAnalyzer a = in.readBoolean() ? RtpAnalyzer.read(in, calls.dynamicTypes()) : null;
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes after the state");
        }
        calls.read(new DataInputStream(new ByteArrayInputStream(data)));
        return a;
    }
}
