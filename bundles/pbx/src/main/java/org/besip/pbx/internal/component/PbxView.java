package org.besip.pbx.internal.component;

import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.CdrStore;
import org.besip.pbx.internal.media.MediaRelay;
import org.besip.pbx.internal.media.Recordings;
import org.besip.pbx.internal.proxy.TrunkRegistration;
import org.besip.pbx.internal.registrar.Binding;

/**
 * What the running PBX shows of itself, read-only: for its page, its metrics, its peer
 * directory and its RPCs, each a component of its own over this view (the module's engine,
 * {@link PbxComponent}, provides it).
 */
public interface PbxView {

    /** The registrations in force at {@code nowMs}. */
    List<Binding> registrations(long nowMs);

    /** The registrations other boxes sharing the store hold, rung too (none unless the store is shared). */
    List<Binding> fleetRegistrations(long nowMs);

    /** Whether a phone registered from {@code address}. */
    boolean hasBindingFrom(InetAddress address);

    /** Whether {@code address} is one of the configured trunks'. */
    boolean isTrunk(InetAddress address);

    /** Whether {@code user} (lower case) is a configured user. */
    boolean configured(String user);

    /** The calls in progress, oldest first. */
    List<CallTracker.Active> callsInProgress();

    /** The media relay's sessions now (empty when none runs), and how many calls it can carry (0: none runs). */
    List<MediaRelay.Session> relaySessions();

    int relayCapacity();

    /** The call recordings; null when the data directory has no room for them. */
    Recordings recordings();

    /** The trunks' registrations with their providers. */
    List<TrunkRegistration.Status> trunkStatus();

    /** The prepaid accounts' credit, by user. */
    Map<String, Double> credits();

    /** The last {@code n} CDRs, newest first. */
    List<CdrStore.Row> recentCdrs(int n) throws SQLException;

    /** The CDRs started in [{@code fromMs}, {@code toMs}) as CSV. */
    void cdrCsv(long fromMs, long toMs, Writer out) throws SQLException, IOException;

    /** Adds {@code amount} to a prepaid user's credit, durably; returns the new credit. The one write: the top-up RPC's. */
    double topUp(String user, double amount) throws Exception;
}
