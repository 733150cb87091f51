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
