package org.besip.pbx.internal.auth;

/** Reports an authentication failure with its source (for besip/pbx/auth/FAILED, which the security module counts). */
public interface AuthFailures {
    void failed(String source, String reason);
}
