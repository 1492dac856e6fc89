package org.besip.core.internal.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.spi.SecurityProvider;
import org.besip.core.api.auth.AdminAuthenticator;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * HTTP Basic login for the Web Console against the box's admin credentials. The launcher sets
 * {@code felix.webconsole.security.providers=besip}, so the console serves nothing until this
 * provider is registered: there is never a window where its built-in admin/admin works.
 */
@Component(service = SecurityProvider.class, property = SecurityProvider.PROPERTY_ID + "=besip")
public class WebConsoleSecurity implements SecurityProvider {

    static final String REALM = "besip";

    @Reference
    private AdminAuthenticator authenticator;

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
                }
            } catch (IllegalArgumentException e) {
                // not Base64: treated as no credentials
            }
        }
        challenge(response);
        return null;
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
