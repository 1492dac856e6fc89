package org.besip.pbx.internal.component;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.besip.core.api.handover.Handover;
import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.PendingInvite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the pbx module takes from its previous version and leaves for its next one (core's
 * {@link Handover}, the format in {@link PbxState}): which calls go, and with each what of the
 * relay, the B2BUA, prepaid and the transaction table goes with it.
 */
final class Handing {

    private static final Logger LOG = LoggerFactory.getLogger(Handing.class);

    private Handing() {
    }

    /** What the previous version left; null when nothing, a format this version does not read, or bytes that do not decode (logged). */
    static PbxState taken(Optional<Handover.State> left) {
        if (left.isEmpty()) {
            return null;
        }
        Handover.State st = left.get();
        if (st.version() < PbxState.OLDEST || st.version() > PbxState.VERSION) {
            LOG.warn("the previous version left its state in format {}, this one reads {} to {}: a clean start", st.version(), PbxState.OLDEST,
                    PbxState.VERSION);
            return null;
        }
        try {
            return PbxState.decode(st.version(), st.data());
        } catch (IOException e) {
            LOG.warn("the previous version's state is unreadable ({}): a clean start", e.getMessage());
            return null;
        }
    }

    /**
     * Collects what goes to the next version, and lets go of it here: every call the tracker
     * follows (in {@code mode b2bua} only the answered ones, whose dialogs go too; a ringing
     * B2BUA call's transactions are this version's and it closes as interrupted), each with its
     * credit hold, its relay session and, while a proxied call still rings, its INVITE
     * transaction.
     */
    static PbxState leaving(boolean b2b, byte[] dialogKey, byte[] nonceKey, Signalling signalling, CallTracker calls, Prepaid prepaid,
            MediaSide media, B2bua b2bua) {
        List<B2bua.DialogState> dialogs = b2b ? b2bua.handOver() : List.of();
        Set<String> answered = dialogs.stream().map(B2bua.DialogState::key).collect(Collectors.toSet());
        List<CallTracker.Snapshot> goingOn = calls.handOver(c -> !b2b || answered.contains(c.callId()));
        Set<String> ids = goingOn.stream().map(CallTracker.Snapshot::callId).collect(Collectors.toSet());
        List<Prepaid.Hold> holds = prepaid.holds().stream().filter(h -> ids.contains(h.callId())).toList(); // the others settle
        List<PbxState.Relayed> relayed = media.handOver(ids);
        List<B2bua.DialogState> handedDialogs = dialogs.stream().filter(x -> ids.contains(x.key())).toList();
        List<PendingInvite> invites = b2b ? List.of() : signalling.pendingInvites().stream().filter(x -> ids.contains(callIdOf(x))).toList();
        PbxState st = new PbxState(dialogKey.clone(), nonceKey.clone(), signalling.nonceCounts(), goingOn, holds, relayed,
                signalling.handOverTrunks(), handedDialogs, invites);
        LOG.info("handed {} calls in progress to the next version, {} of them with their media relay session, {} B2BUA dialogs,"
                + " {} INVITE transactions", goingOn.size(), relayed.size(), handedDialogs.size(), invites.size());
        return st;
    }

    /** The Call-ID of a handed INVITE, from its server-transaction key (branch|sent-by|Call-ID|CSeq|method). */
    static String callIdOf(PendingInvite p) {
        String[] f = p.key().split("\\|");
        return f.length == 5 ? f[2] : "";
    }
}
