package org.besip.core.internal.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.spi.SecurityProvider;
import org.besip.core.api.auth.AdminAuthenticator;
import org.besip.core.api.event.Topics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP Basic login for the Web Console against the box's admin credentials. The launcher sets
 * {@code felix.webconsole.security.providers=besip}, so the console serves nothing until this
 * provider is registered: there is never a window where its built-in admin/admin works.
 * A login with wrong credentials (not one without any: a browser asks first without) is a soft
 * fault like a failed NETCONF login: logged and published ({@link Topics#WEB_AUTH_FAILED}), so
 * that the security module counts it and blocks a source that keeps guessing.
 */
@Component(service = SecurityProvider.class, property = SecurityProvider.PROPERTY_ID + "=besip")
public class WebConsoleSecurity implements SecurityProvider {

    static final String REALM = "besip";

    private static final Logger LOG = LoggerFactory.getLogger(WebConsoleSecurity.class);

    @Reference
    private AdminAuthenticator authenticator;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Override
    public Object authenticate(HttpServletRequest request, HttpServletResponse response) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                if (colon > 0) {
                    String user = pair.substring(0, colon);
                    if (authenticator.authenticate(user, pair.substring(colon + 1).toCharArray())) {
                        request.setAttribute("org.osgi.service.http.authentication.type", "BASIC");
                        request.setAttribute("org.osgi.service.http.authentication.remote.user", user);
                        return user;
                    }
                    failed(user, request.getRemoteAddr());
                } else {
                    failed("", request.getRemoteAddr());
                }
            } catch (IllegalArgumentException e) {
                // not Base64: treated as no credentials
            }
        }
        challenge(response);
        return null;
    }

    private void failed(String user, String source) {
        LOG.warn("Web Console login failed for '{}' from {}", user, source);
        EventAdmin ea = events;
        if (ea != null && source != null) {
            ea.postEvent(new Event(Topics.WEB_AUTH_FAILED, Map.of(Topics.PROP_SOURCE, source, "user", user)));
        }
    }

    @Override
    public boolean authorize(Object user, String role) {
        return user != null;
    }

    @Override
    public void logout(HttpServletRequest request, HttpServletResponse response) {
        challenge(response);
    }

    private static void challenge(HttpServletResponse response) {
        try {
            response.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            response.setContentLength(0);
            response.flushBuffer();
        } catch (java.io.IOException e) {
            // the client went away
        }
    }
}
