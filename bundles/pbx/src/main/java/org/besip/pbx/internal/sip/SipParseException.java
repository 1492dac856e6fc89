package org.besip.pbx.internal.sip;

/** A message that is not SIP as RFC 3261 writes it; the reason goes into the 400's reason phrase. */
public class SipParseException extends Exception {

    private static final long serialVersionUID = 1L;

    public SipParseException(String message) {
        super(message);
    }
}
