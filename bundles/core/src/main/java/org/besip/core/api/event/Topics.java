package org.besip.core.api.event;

/** EventAdmin topics that besip modules publish (design §3). */
public final class Topics {

    public static final String CALL_STARTED = "besip/pbx/call/STARTED";
    public static final String CALL_ANSWERED = "besip/pbx/call/ANSWERED";
    public static final String CALL_ENDED = "besip/pbx/call/ENDED";
    /** A call's recording is complete on disk ({@link #PROP_CALL_ID}, {@link #PROP_RECORDING}, {@link #PROP_DURATION}). Since 1.3. */
    public static final String CALL_RECORDED = "besip/pbx/call/RECORDED";
    public static final String REGISTRATION_ADDED = "besip/pbx/registration/ADDED";
    public static final String REGISTRATION_REMOVED = "besip/pbx/registration/REMOVED";
    public static final String PBX_AUTH_FAILED = "besip/pbx/auth/FAILED";
    public static final String NETCONF_AUTH_FAILED = "besip/netconf/auth/FAILED";
    /** A Web Console login with wrong credentials ({@link #PROP_SOURCE}, {@code user}). Since 1.4. */
    public static final String WEB_AUTH_FAILED = "besip/web/auth/FAILED";
    public static final String SECURITY_ALERT = "besip/security/ALERT";
    public static final String SECURITY_BLOCKED = "besip/security/BLOCKED";
    public static final String SECURITY_UNBLOCKED = "besip/security/UNBLOCKED";
    public static final String MONITORING_QUALITY = "besip/monitoring/QUALITY";
    /** Module manager changes; the last segment is the operation, e.g. {@code ENABLED}. */
    public static final String MODULE_PREFIX = "besip/core/module/";
    public static final String MODULE_INSTALLED = MODULE_PREFIX + "INSTALLED";
    public static final String MODULE_UPGRADED = MODULE_PREFIX + "UPGRADED";
    public static final String MODULE_ENABLED = MODULE_PREFIX + "ENABLED";
    public static final String MODULE_DISABLED = MODULE_PREFIX + "DISABLED";
    public static final String MODULE_REMOVED = MODULE_PREFIX + "REMOVED";

    /** Event property: the remote address an event is about, as text. */
    public static final String PROP_SOURCE = "source";
    /** Event property: the module an event is about. */
    public static final String PROP_MODULE = "module";
    /** Event property: a version. */
    public static final String PROP_VERSION = "version";
    /** Call events: the SIP Call-ID. */
    public static final String PROP_CALL_ID = "call.id";
    /** Call events: the caller's media address from its SDP, {@code ip:port}. */
    public static final String PROP_MEDIA_CALLER = "media.caller";
    /** Call events: the callee's media address from its SDP, {@code ip:port}. */
    public static final String PROP_MEDIA_CALLEE = "media.callee";
    /**
     * Call events of a call the PBX's media relay carries: the box's RTP endpoints the phones send
     * to, a {@code String[]} of {@code ip:port} (the caller's leg, then the callee's).
     */
    public static final String PROP_MEDIA_RELAY = "media.relay";
    /**
     * Call events: the SDP's payload types, a {@code String[]} of rtpmap values such as
     * {@code "0 PCMU/8000"} or {@code "101 telephone-event/8000"}.
     */
    public static final String PROP_PAYLOADS = "payloads";
    /** {@link #CALL_RECORDED}: the recording's file under the box's data directory, e.g. {@code recordings/2026-12-02/...wav}. Since 1.3. */
    public static final String PROP_RECORDING = "recording";
    /** {@link #CALL_RECORDED}: its length in seconds, a {@code Double}. Since 1.3. */
    public static final String PROP_DURATION = "duration";

    private Topics() {
    }
}
