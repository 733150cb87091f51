package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.LimitReason;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The sessions by id, and admission: never more than MAX_SESSIONS live at once, even in a burst. */
final class SessionStore {
    private final int maxSessions;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger live = new AtomicInteger();

    SessionStore(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    /** Takes a slot and stores the new session, or refuses when every slot is taken. */
    Session admit(Supplier<Session> newSession) throws SessionException {
        while (true) {
            int n = live.get();
            if (n >= maxSessions) {
                throw SessionException.limitReached(LimitReason.LIMIT_REASON_MAX_SESSIONS, "max concurrent sessions reached");
            }
            if (live.compareAndSet(n, n + 1)) {
                break;
            }
        }
        Session s = newSession.get();
        sessions.put(s.id, s);
        return s;
    }

    /**
     * Stores a session taken back after a restart, whatever the limit (it exists already: its
     * runner kept it going). Returns the session already stored under its id, if another runner
     * of it was faster, else {@code s}.
     */
    Session adopt(Session s) {
        Session existing = sessions.putIfAbsent(s.id, s);
        if (existing != null) {
            return existing;
        }
        live.incrementAndGet();
        return s;
    }

    /** A session ended: its slot is free again. Called once per session, by whoever ended it. */
    void release() {
        live.decrementAndGet();
    }

    Session find(String id) throws SessionException {
        Session s = get(id);
        if (s == null) {
            throw SessionException.notFound();
        }
        return s;
    }

    /** The session, or null. */
    Session get(String id) {
        return id == null ? null : sessions.get(id);
    }

    Collection<Session> all() {
        return sessions.values();
    }

    List<SessionSnapshot> snapshots() {
        List<SessionSnapshot> list = new ArrayList<>();
        for (Session s : sessions.values()) {
            list.add(s.snapshot());
        }
        list.sort(SessionPage.ORDER);
        return list;
    }

    void forget(Session s) {
        sessions.remove(s.id, s);
    }

    int live() {
        return live.get();
    }

    int max() {
        return maxSessions;
    }
}
