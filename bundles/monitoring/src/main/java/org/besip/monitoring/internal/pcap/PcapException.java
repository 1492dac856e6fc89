package org.besip.monitoring.internal.pcap;

/** A capture that cannot be read; the message says which and why. */
public class PcapException extends Exception {

    private static final long serialVersionUID = 1L;

    public PcapException(String message) {
        super(message);
    }
}
