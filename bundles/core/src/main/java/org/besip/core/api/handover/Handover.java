package org.besip.core.api.handover;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Live state that a bundle's stopping version leaves for its next start: the same bundle after an
 * update to another version, or after a disable and enable. Held in memory by core, so a crash
 * or a restart of the box leaves nothing (the module starts clean, as it does on an unknown
 * format). The state is bytes in a format the module documents, with its version, so a new
 * version can read an old one's state or refuse it and start clean.
 */
@ProviderType
public interface Handover {

    /** Leaves {@code data} in format {@code version} for the next start; replaces what was left before. */
    void leave(int version, byte[] data);

    /** Takes what the last stop left (and forgets it); empty when nothing was left. */
    Optional<State> take();

    /** State as it was left. */
    record State(int version, byte[] data, long leftAtMs) {
        public State {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }
}
