package org.besip.core.internal.feature;

/** A feature file that cannot be used; the message names the file and what is wrong. */
public class FeatureException extends Exception {

    private static final long serialVersionUID = 1L;

    public FeatureException(String message) {
        super(message);
    }

    public FeatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
