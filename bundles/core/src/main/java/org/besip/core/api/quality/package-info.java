/**
 * Speech quality from RTP, shared by the monitoring module (captured streams) and the PBX's media
 * relay (relayed streams), so a call gets its MOS from the same code wherever it is measured:
 * RFC 3550 stream statistics ({@link org.besip.core.api.quality.RtpStream}), RTCP round trips,
 * and the BESIP E-model ({@link org.besip.core.api.quality.EModel}). Pure classes: no I/O, no
 * threads.
 */
@org.osgi.annotation.versioning.Version("1.1.0")
@org.osgi.annotation.bundle.Export
package org.besip.core.api.quality;
