package org.besip.netconf.internal.ops;

import java.io.IOException;

/** What the server needs to know of one NETCONF session. */
public interface Session {

    long id();

    String user();

    String sourceAddress();

    /** Sends a whole message (a notification) on the session's channel. */
    void send(byte[] message) throws IOException;

    /** Ends the session (kill-session from another session, or the server stopping). */
    void terminate();
}
