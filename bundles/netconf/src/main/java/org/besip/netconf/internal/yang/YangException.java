package org.besip.netconf.internal.yang;

/** A YANG module that cannot be used; the message starts with file:line:column. */
public class YangException extends Exception {

    private static final long serialVersionUID = 1L;

    public YangException(String message) {
        super(message);
    }
}
