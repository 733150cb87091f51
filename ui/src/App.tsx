import { useCallback, useEffect, useState } from 'react';
import { apiToken, onUnauthorized, rememberSessionToken, sessionHash, sessionToken, setApiToken } from './auth';
import { LoginPrompt } from './components/LoginPrompt';
import { SessionView } from './components/SessionView';
import { StartScreen } from './components/StartScreen';
import { type Route, routeFromHash } from './lib/route';

/** Keeps a session token that came in the address, and puts a known one there (the address is the session's link). */
function withSessionToken(route: Route): Route {
  if (route.screen !== 'session') {
    return route;
  }
  if (route.sessionToken) {
    rememberSessionToken(route.sessionId, route.sessionToken);
    return route;
  }
  const known = sessionToken(route.sessionId);
  if (known) {
    history.replaceState(history.state, '', location.pathname + location.search + sessionHash(route.sessionId, known));
    return { ...route, sessionToken: known };
  }
  return route;
}

export function App() {
  const [route, setRoute] = useState<Route>(() => withSessionToken(routeFromHash(location.hash)));
  // Shown after a 401; "rejected" when the browser already had a token (so it was wrong).
  const [login, setLogin] = useState<{ rejected: boolean } | null>(null);
  // Bumped after signing in: the screen starts again with the new token.
  const [signedIn, setSignedIn] = useState(0);

  useEffect(() => {
    const onChange = () => setRoute(withSessionToken(routeFromHash(location.hash)));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);

  useEffect(() => onUnauthorized(() => setLogin({ rejected: apiToken() !== null })), []);

  const openSession = useCallback((sessionId: string, token?: string) => {
    if (token) {
      rememberSessionToken(sessionId, token);
    }
    location.hash = sessionHash(sessionId, token ?? sessionToken(sessionId));
  }, []);
  const goHome = useCallback(() => {
    // Replace the session's entry: Back should not reopen a session that was just ended.
    history.replaceState(null, '', location.pathname + location.search);
    setRoute({ screen: 'start' });
  }, []);
  const signIn = useCallback((token: string) => {
    setApiToken(token);
    setLogin(null);
    setSignedIn((n) => n + 1);
  }, []);

  return (
    <>
      {route.screen === 'session' ? (
        <SessionView key={`${route.sessionId}/${signedIn}`} sessionId={route.sessionId} onLeave={goHome} />
      ) : (
        <StartScreen key={signedIn} onOpen={openSession} />
      )}
      {login && <LoginPrompt rejected={login.rejected} onToken={signIn} />}
    </>
  );
}
