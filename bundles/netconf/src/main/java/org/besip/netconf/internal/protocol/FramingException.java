package org.besip.netconf.internal.protocol;

import java.io.IOException;

/** The peer broke RFC 6242 framing; the session cannot go on (RFC 6242 §4.2: terminate). */
public class FramingException extends IOException {

    private static final long serialVersionUID = 1L;

    public FramingException(String message) {
        super(message);
    }
}
