package org.besip.monitoring.internal.calls;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.besip.core.api.quality.PayloadTypes;

/**
 * What the PBX's call events announce (design §3: {@code besip/pbx/call/STARTED|ANSWERED|ENDED}
 * with the media address of each side and the SDP payload types): which media endpoint belongs to
 * which call, the dynamic payload types of the calls, and a BPF expression for exactly those
 * endpoints. Bounded: at most {@link #MAX_CALLS} calls are remembered.
 */
public final class CallRegistry {

    public static final int MAX_CALLS = 10_000;
    private static final Pattern RTPMAP = Pattern.compile("\\s*(\\d{1,3})\\s+([A-Za-z0-9._-]+)/(\\d{1,6}).*");
    private static final Pattern ENDPOINT = Pattern.compile("([0-9A-Fa-f.:]+):(\\d{1,5})");

    /** A call's media: its endpoints ({@code ip:port}) and the payload types its SDP mapped. */
    record Call(String id, List<String> endpoints, Map<Integer, PayloadTypes.Codec> payloads) {
    }

    private final Map<String, Call> calls = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Call> eldest) {
            return size() > MAX_CALLS;
        }
    };
    private final Map<Integer, PayloadTypes.Codec> dynamic = new ConcurrentHashMap<>();

    /** A call started or was answered: remember its media (an answered call's SDP completes it). */
    public synchronized void started(String callId, String caller, String callee, String[] payloads) {
        started(callId, caller, callee, payloads, null);
    }

    /** The same for a call the PBX's relay carries: its streams are also those to and from the relay's endpoints. */
    public synchronized void started(String callId, String caller, String callee, String[] payloads, String[] relay) {
        if (callId == null) {
            return;
        }
        List<String> endpoints = new ArrayList<>();
        List<String> all = new ArrayList<>(java.util.Arrays.asList(caller, callee));
        if (relay != null) {
            all.addAll(java.util.Arrays.asList(relay));
        }
        for (String e : all) {
            if (e != null && ENDPOINT.matcher(e).matches() && !endpoints.contains(e)) {
                endpoints.add(e);
            }
        }
        Map<Integer, PayloadTypes.Codec> types = new LinkedHashMap<>();
        if (payloads != null) {
            for (String p : payloads) {
                Matcher m = p == null ? null : RTPMAP.matcher(p);
                if (m != null && m.matches()) {
                    int pt = Integer.parseInt(m.group(1));
                    String name = m.group(2).toUpperCase();
                    boolean voice = !name.equals("TELEPHONE-EVENT") && !name.equals("CN");
                    PayloadTypes.Codec c = new PayloadTypes.Codec(name, Integer.parseInt(m.group(3)), voice);
                    types.put(pt, c);
                    if (pt >= 96 && pt <= 127) {
                        dynamic.put(pt, c);
                    }
                }
            }
        }
        calls.put(callId, new Call(callId, endpoints, types));
    }

    public synchronized void ended(String callId) {
        if (callId != null) {
            calls.remove(callId);
        }
    }

    /** The call whose media uses {@code endpoint} ({@code ip:port}), or null. */
    public synchronized String callOf(String endpoint) {
        for (Call c : calls.values()) {
            if (c.endpoints().contains(endpoint)) {
                return c.id();
            }
        }
        return null;
    }

    /**
     * Writes the calls known (int n, n × (UTF Call-ID, int m, m × UTF endpoint, int k, k × (int
     * payload type, UTF codec, int clock rate, boolean voice))), least recently told first, for the
     * module's next version ({@link #read}); the dynamic types follow from them.
     */
    public synchronized void write(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(calls.size());
        for (Call c : calls.values()) {
            out.writeUTF(c.id());
            out.writeInt(c.endpoints().size());
            for (String e : c.endpoints()) {
                out.writeUTF(e);
            }
            out.writeInt(c.payloads().size());
            for (Map.Entry<Integer, PayloadTypes.Codec> e : c.payloads().entrySet()) {
                out.writeInt(e.getKey());
                out.writeUTF(e.getValue().name());
                out.writeInt(e.getValue().clockRate());
                out.writeBoolean(e.getValue().voice());
            }
        }
    }

    /** Adds the calls {@link #write} wrote. @throws java.io.IOException not what it writes (truncated, out of bounds) */
    public synchronized void read(java.io.DataInput in) throws java.io.IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_CALLS) {
            throw new java.io.IOException(n + " calls");
        }
        for (int i = 0; i < n; i++) {
            String id = in.readUTF();
            int m = in.readInt();
            if (m < 0 || m > 16) {
                throw new java.io.IOException(m + " endpoints");
            }
            List<String> endpoints = new ArrayList<>();
            for (int j = 0; j < m; j++) {
                String e = in.readUTF();
                if (!ENDPOINT.matcher(e).matches()) {
                    throw new java.io.IOException("not an endpoint: " + e);
                }
                endpoints.add(e);
            }
            int k = in.readInt();
            if (k < 0 || k > 128) {
                throw new java.io.IOException(k + " payload types");
            }
            Map<Integer, PayloadTypes.Codec> types = new LinkedHashMap<>();
            for (int j = 0; j < k; j++) {
                int pt = in.readInt();
                PayloadTypes.Codec c = new PayloadTypes.Codec(in.readUTF(), in.readInt(), in.readBoolean());
                if (pt < 0 || pt > 127) {
                    throw new java.io.IOException("payload type " + pt);
                }
                types.put(pt, c);
                if (pt >= 96) {
                    dynamic.put(pt, c);
                }
            }
            calls.put(id, new Call(id, List.copyOf(endpoints), types));
        }
    }

    /** Calls known (their media not yet ended). */
    public synchronized int size() {
        return calls.size();
    }

    /** Dynamic payload types (96–127) as the calls' SDP named them; live view for the analyser. */
    public Map<Integer, PayloadTypes.Codec> dynamicTypes() {
        return dynamic;
    }

    /**
     * A BPF filter for UDP to or from every announced media endpoint, or plain {@code udp} when
     * no call is known.
     */
    public synchronized String bpf() {
        List<String> terms = new ArrayList<>();
        for (Call c : calls.values()) {
            for (String e : c.endpoints()) {
                Matcher m = ENDPOINT.matcher(e);
                if (m.matches()) {
                    terms.add("(host " + m.group(1) + " and port " + m.group(2) + ")");
                }
            }
        }
        return terms.isEmpty() ? "udp" : "udp and (" + String.join(" or ", terms) + ")";
    }
}
