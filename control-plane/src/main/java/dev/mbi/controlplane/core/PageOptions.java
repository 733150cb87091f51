package dev.mbi.controlplane.core;

import dev.mbi.contract.RunnerContract.Viewport;
import java.time.ZoneId;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a session's page presents itself, as its creator asked: the viewport (0 × 0 for the
 * operator's), a user agent, a locale and a time zone (empty for the browser's own). Checked here,
 * so a runner is never told something Chromium would refuse.
 */
public record PageOptions(int viewportWidth, int viewportHeight, String userAgent, String locale, String timezone) {
    public static final PageOptions DEFAULT = new PageOptions(0, 0, "", "", "");

    /** As a resume token carries them. */
    java.util.Map<String, Object> toClaim() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("width", viewportWidth);
        m.put("height", viewportHeight);
        m.put("userAgent", userAgent);
        m.put("locale", locale);
        m.put("timezone", timezone);
        return m;
    }

    /** From a resume token's claim; {@link #DEFAULT} when it is missing or not one. */
    static PageOptions fromClaim(Object claim) {
        if (!(claim instanceof java.util.Map<?, ?> m)) {
            return DEFAULT;
        }
        try {
            return new PageOptions(((Number) m.get("width")).intValue(), ((Number) m.get("height")).intValue(),
                    (String) m.get("userAgent"), (String) m.get("locale"), (String) m.get("timezone"));
        } catch (RuntimeException e) {
            return DEFAULT;
        }
    }
    static final int MAX_USER_AGENT_BYTES = 512;
    /** BCP 47 as browsers take it: "en", "de-DE", "zh-Hant-TW". */
    private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}");

    public PageOptions {
        userAgent = userAgent == null ? "" : userAgent;
        locale = locale == null ? "" : locale;
        timezone = timezone == null ? "" : timezone;
    }

    /** The options if every one is acceptable; the first that is not is named in the exception. */
    public PageOptions checked() throws SessionException {
        if (viewportWidth != 0 || viewportHeight != 0) {
            try {
                new Viewport(viewportWidth, viewportHeight);
            } catch (IllegalArgumentException e) {
                throw new SessionException(SessionException.Reason.INVALID, "viewport: " + e.getMessage());
            }
        }
        if (Limits.utf8Length(userAgent) > MAX_USER_AGENT_BYTES) {
            throw new SessionException(SessionException.Reason.INVALID, "userAgent is longer than " + MAX_USER_AGENT_BYTES + " bytes");
        }
        if (userAgent.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new SessionException(SessionException.Reason.INVALID, "userAgent must not contain control characters");
        }
        if (!locale.isEmpty() && (!LOCALE.matcher(locale).matches()
                || Locale.forLanguageTag(locale).getLanguage().isEmpty())) {
            throw new SessionException(SessionException.Reason.INVALID, "locale '" + Limits.truncate(locale, 40)
                    + "' is not a language tag such as en-US or de-DE");
        }
        if (!timezone.isEmpty() && !ZoneId.getAvailableZoneIds().contains(timezone)) {
            throw new SessionException(SessionException.Reason.INVALID, "timezone '" + Limits.truncate(timezone, 64)
                    + "' is not an IANA time zone such as Europe/Berlin or America/New_York");
        }
        return this;
    }

    /** The viewport the session's runner opens: the one asked for, or the operator's. */
    Viewport viewportOr(int defaultWidth, int defaultHeight) {
        return viewportWidth == 0 ? new Viewport(defaultWidth, defaultHeight) : new Viewport(viewportWidth, viewportHeight);
    }
}
