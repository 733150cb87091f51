/** The screen to show, from the location hash: "#/sessions/<id>" (optionally "?st=<session token>") is a session, anything else the start screen. */
export type Route = { screen: 'start' } | { screen: 'session'; sessionId: string; sessionToken: string | null };

export function routeFromHash(hash: string): Route {
  const match = /^#\/sessions\/([^/?#]+)(?:\?(.*))?$/.exec(hash);
  if (!match) {
    return { screen: 'start' };
  }
  let sessionId: string;
  try {
    sessionId = decodeURIComponent(match[1]);
  } catch {
    return { screen: 'start' };
  }
  const st = new URLSearchParams(match[2] ?? '').get('st');
  return { screen: 'session', sessionId, sessionToken: st ? st : null };
}

/** The embeddable live view: one session's picture alone, served at /api/sessions/<id>/live. */
export interface LiveViewRoute {
  sessionId: string;
  /** The session token from `?token=`; it stands in for any other credential. */
  sessionToken: string | null;
  /** `mode=view`: look, never touch (no input is sent, no control buttons). */
  readOnly: boolean;
}

// Session ids are UUIDs; anything else under that path is not a live view.
const LIVE_PATH = /^\/api\/sessions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/live$/i;

/** The live view from the page's path and query ("?token=<session token>[&mode=view]"), or null for the app. */
export function liveViewFromLocation(pathname: string, search: string): LiveViewRoute | null {
  const match = LIVE_PATH.exec(pathname);
  if (!match) {
    return null;
  }
  const params = new URLSearchParams(search);
  const token = params.get('token')?.trim();
  const mode = params.get('mode');
  // Only no mode at all is interactive: a mode this page does not know fails safe, to looking only.
  return { sessionId: match[1], sessionToken: token ? token : null, readOnly: mode !== null };
}
