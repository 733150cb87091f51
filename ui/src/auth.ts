/**
 * The credentials the UI sends: the user's API token (from a `?token=` login link, or pasted into
 * the login prompt), kept in localStorage; and sessions' own tokens (from a create's answer, or a
 * shared link's `?st=`), which open one session each and are preferred for that session's routes.
 */

const API_TOKEN_KEY = 'mbi.apiToken';
const SESSION_TOKENS_KEY = 'mbi.sessionTokens';
/** Session tokens kept at most (the oldest are forgotten first). */
const MAX_SESSION_TOKENS = 50;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled
  }
}

export function apiToken(): string | null {
  return storage()?.getItem(API_TOKEN_KEY) || null;
}

export function setApiToken(token: string): void {
  storage()?.setItem(API_TOKEN_KEY, token.trim());
}

export function clearApiToken(): void {
  storage()?.removeItem(API_TOKEN_KEY);
}

function sessionTokens(): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(SESSION_TOKENS_KEY) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

// Session tokens this page was given to use and not keep (the live view's, from its address); they come first.
const pageSessionTokens = new Map<string, string>();

/** Uses `token` for this session's routes while the page lives, without storing it. */
export function holdSessionTokenForPage(sessionId: string, token: string): void {
  pageSessionTokens.set(sessionId, token);
}

export function sessionToken(sessionId: string): string | null {
  const held = pageSessionTokens.get(sessionId);
  if (held) {
    return held;
  }
  const t = sessionTokens()[sessionId];
  return typeof t === 'string' && t ? t : null;
}

export function rememberSessionToken(sessionId: string, token: string): void {
  const all = sessionTokens();
  delete all[sessionId];
  all[sessionId] = token;
  const ids = Object.keys(all);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_SESSION_TOKENS))) {
    delete all[id];
  }
  storage()?.setItem(SESSION_TOKENS_KEY, JSON.stringify(all));
}

/** The bearer for a session's routes: its own token when the UI has it, else the user's. */
export function bearerFor(sessionId: string): string | null {
  return sessionToken(sessionId) ?? apiToken();
}

/**
 * Takes a login link's `?token=` out of the address: returns it and the search without it (the
 * token must not stay in the address bar, the history or a bookmark).
 */
export function splitTokenFromSearch(search: string): { token: string | null; search: string } {
  const params = new URLSearchParams(search);
  const token = params.get('token');
  if (token === null) {
    return { token: null, search };
  }
  params.delete('token');
  const rest = params.toString();
  return { token: token.trim() || null, search: rest ? `?${rest}` : '' };
}

/** On start: keeps a login link's token and drops it from the address bar. */
export function takeTokenFromAddress(): void {
  const { token, search } = splitTokenFromSearch(location.search);
  if (token !== null || location.search !== search) {
    if (token) {
      setApiToken(token);
    }
    history.replaceState(history.state, '', location.pathname + search + location.hash);
  }
}

/** The address of a session, with its token when known: whoever opens it gets that session (and only it). */
export function sessionHash(sessionId: string, token: string | null): string {
  return `#/sessions/${encodeURIComponent(sessionId)}${token ? `?st=${encodeURIComponent(token)}` : ''}`;
}

// --- the login prompt is shown whenever the server says 401

type Listener = () => void;
const listeners = new Set<Listener>();

export function onUnauthorized(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyUnauthorized(): void {
  listeners.forEach((l) => l());
}
