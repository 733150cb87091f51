package dev.mbi.controlplane.core;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * One page of the session list: in a stable order (creation time, then id), at most
 * {@value #MAX_SIZE} at once. The next page starts after the last session of this one, so
 * sessions created or forgotten between two calls neither repeat nor push others out.
 */
public record SessionPage(List<SessionSnapshot> sessions, String nextPageToken) {
    /** The most sessions in one page, and the size of a page when none is asked for. */
    public static final int MAX_SIZE = 100;
    static final Comparator<SessionSnapshot> ORDER =
            Comparator.comparing(SessionSnapshot::createdAt).thenComparing(SessionSnapshot::id);
    private static final String VERSION = "1";

    public SessionPage {
        sessions = List.copyOf(sessions);
    }

    /**
     * @param sorted every session, in {@link #ORDER}
     * @param owner only this owner's sessions; empty for all
     * @param pageSize at most this many; 0 for {@value #MAX_SIZE}, and never more
     * @param pageToken empty for the first page, else a previous page's {@link #nextPageToken()}
     */
    static SessionPage of(List<SessionSnapshot> sorted, String owner, int pageSize, String pageToken) throws SessionException {
        return of(sorted, s -> owner == null || owner.isEmpty() || owner.equals(s.owner()), pageSize, pageToken);
    }

    /** The same, for the sessions that pass {@code filter}. */
    static SessionPage of(List<SessionSnapshot> sorted, Predicate<SessionSnapshot> filter, int pageSize, String pageToken)
            throws SessionException {
        int size = pageSize <= 0 ? MAX_SIZE : Math.min(pageSize, MAX_SIZE);
        Cursor after = pageToken == null || pageToken.isEmpty() ? null : Cursor.parse(pageToken);
        List<SessionSnapshot> page = new ArrayList<>(Math.min(size, sorted.size()));
        boolean more = false;
        for (SessionSnapshot s : sorted) {
            if (!filter.test(s) || (after != null && !after.isBefore(s))) {
                continue;
            }
            if (page.size() == size) {
                more = true;
                break;
            }
            page.add(s);
        }
        return new SessionPage(page, more ? Cursor.of(page.getLast()).token() : "");
    }

    /** Where a page ended: the creation time and id of its last session. */
    private record Cursor(Instant createdAt, String id) {
        static Cursor of(SessionSnapshot s) {
            return new Cursor(s.createdAt(), s.id());
        }

        boolean isBefore(SessionSnapshot s) {
            int byTime = createdAt.compareTo(s.createdAt());
            return byTime < 0 || (byTime == 0 && id.compareTo(s.id()) < 0);
        }

        String token() {
            String text = VERSION + ":" + createdAt.getEpochSecond() + ":" + createdAt.getNano() + ":" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor parse(String token) throws SessionException {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":", 4);
                if (parts.length == 4 && parts[0].equals(VERSION)) {
                    return new Cursor(Instant.ofEpochSecond(Long.parseLong(parts[1]), Long.parseLong(parts[2])), parts[3]);
                }
            } catch (RuntimeException malformed) {
                // refused below
            }
            throw new SessionException(SessionException.Reason.INVALID,
                    "page_token is not one this control plane gave out; start again without it");
        }
    }
}
