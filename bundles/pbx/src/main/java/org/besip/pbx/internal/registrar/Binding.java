package org.besip.pbx.internal.registrar;

/** One registered contact of an address of record, valid until {@code expiresAtMs}. */
public record Binding(String aor, String contact, long expiresAtMs, String callId, long cseq, String userAgent,
        String source) {
}
