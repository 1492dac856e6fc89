package org.besip.pbx.internal.component;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.besip.core.api.handover.Listeners;
import org.besip.pbx.internal.component.PbxSettings.Media;
import org.besip.pbx.internal.media.MediaAnchor;
import org.besip.pbx.internal.media.MediaRelay;
import org.besip.pbx.internal.media.MusicOnHold;
import org.besip.pbx.internal.media.Recordings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PBX's media relay as configured: built, kept or rebuilt by each configuration, its sockets
 * lent by core (each named by its port, so a session handed to the next version keeps them), the
 * sessions the previous version handed over taken on when the relay is built, and those this
 * version hands over given out when it stops.
 */
final class MediaSide {

    private static final Logger LOG = LoggerFactory.getLogger(MediaSide.class);

    private final Listeners listeners;
    private final Supplier<Recordings> recordings;
    private final Consumer<String> timedOut;
    private volatile MediaRelay relay;
    private Media relayMedia;
    private volatile MediaAnchor anchor;
    /** The sessions the previous version handed over, until the relay is built (by the first configuration). */
    private List<PbxState.Relayed> handed = List.of();
    private final MediaRelay.Ports ports = new MediaRelay.Ports() {
        @Override
        public DatagramChannel bind(InetSocketAddress at) throws IOException {
            return listeners.udp(name(at), at);
        }

        @Override
        public void release(DatagramChannel c, InetSocketAddress at) {
            listeners.release(name(at));
        }
    };

    /** @param timedOut told of a session that carried nothing for the relay's timeout (the call is hung up) */
    MediaSide(Listeners listeners, Supplier<Recordings> recordings, Consumer<String> timedOut) {
        this.listeners = listeners;
        this.recordings = recordings;
        this.timedOut = timedOut;
    }

    /** The name a media relay port's socket is lent under by core. */
    static String name(InetSocketAddress a) {
        return "media " + a.getAddress().getHostAddress() + " " + a.getPort();
    }

    /** The anchor calls are relayed through now, or null when none runs. */
    MediaAnchor anchor() {
        return anchor;
    }

    /** The relay running now, or null. */
    MediaRelay relay() {
        return relay;
    }

    /** Sessions a previous version handed over, taken on when the relay is built. */
    synchronized void handed(List<PbxState.Relayed> sessions) {
        handed = List.copyOf(sessions);
    }

    /**
     * The anchor for {@code m}: the relay running when its range and address stay (the calls it
     * carries keep their audio), else a new one (the old one's calls lose theirs); null when the
     * policy is never or the relay cannot start.
     */
    synchronized MediaAnchor configure(Media m, InetSocketAddress listen, String host) {
        boolean same = relay != null && relayMedia != null && relayMedia.minPort() == m.minPort() && relayMedia.maxPort() == m.maxPort()
                && relayMedia.timeoutMs() == m.timeoutMs() && relay.settings().bind().equals(listen.getAddress());
        if (m.policy() == MediaAnchor.Policy.NEVER) {
            closeRelay();
            anchor = null;
            releaseHanded(listen.getAddress());
            return null;
        }
        if (!same) {
            closeRelay();
            try {
                relay = new MediaRelay(new MediaRelay.Settings(listen.getAddress(), m.minPort(), m.maxPort(), m.timeoutMs()), ports, timedOut);
                relayMedia = m;
                LOG.info("media relay on {} ports {}-{} ({} calls at most), policy {}", listen.getAddress().getHostAddress(), m.minPort(),
                        m.maxPort(), relay.settings().capacity(), m.policy().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            } catch (IOException | IllegalArgumentException e) {
                LOG.error("media relay cannot start: {}; calls are not relayed", e.toString());
                anchor = null;
                releaseHanded(listen.getAddress());
                return null;
            }
        }
        relay.music(m.music() != null ? m.music() : MusicOnHold.shipped());
        MediaAnchor a = anchor;
        if (a == null || a.relay() != relay || a.policy() != m.policy()) {
            a = new MediaAnchor(relay, host, m.policy());
            a.recordings(recordings.get());
            anchor = a;
        }
        if (!handed.isEmpty()) { // the previous version's sessions, on their sockets: the calls' audio goes on
            int taken = relay.takeOver(handed.stream().map(PbxState.Relayed::session).toList());
            Map<String, String> tags = new HashMap<>();
            handed.forEach(r -> {
                if (r.callerTag() != null) {
                    tags.put(r.session().id(), r.callerTag());
                }
            });
            a.callerTags(tags);
            LOG.info("media relay took over {} of {} sessions from the previous version", taken, handed.size());
            releaseHanded(listen.getAddress());
        }
        return a;
    }

    /**
     * Stops relaying without ending the sessions of the calls in {@code keep} (the module hands
     * them to its next version, their sockets stay with core); the others' sockets are given back.
     */
    synchronized List<PbxState.Relayed> handOver(Set<String> keep) {
        List<PbxState.Relayed> out = new ArrayList<>();
        MediaRelay r = relay;
        if (r == null) {
            return out;
        }
        MediaAnchor a = anchor;
        Map<String, String> tags = a == null ? Map.of() : a.callerTags();
        for (MediaRelay.SessionState st : r.handOver()) {
            if (keep.contains(st.id())) {
                out.add(new PbxState.Relayed(st, tags.get(st.id())));
            } else {
                release(r.settings().bind(), st);
            }
        }
        return out;
    }

    /** Gives back to core the sockets of the handed sessions no relay took over (none runs, or their ports are outside its range). */
    private void releaseHanded(InetAddress bind) {
        for (PbxState.Relayed r : handed) {
            if (relay == null || relay.get(r.session().id()) == null) {
                release(bind, r.session());
            }
        }
        handed = List.of();
    }

    private void release(InetAddress bind, MediaRelay.SessionState st) {
        for (int port : new int[] { st.callerPort(), st.callerPort() + 1, st.calleePort(), st.calleePort() + 1 }) {
            listeners.release(name(new InetSocketAddress(bind, port)));
        }
    }

    /** Ends every session still relayed (their sockets close) and stops the relay. */
    synchronized void close() {
        closeRelay();
        anchor = null;
    }

    private void closeRelay() {
        if (relay != null) {
            relay.close();
            relay = null;
            relayMedia = null;
        }
    }
}
