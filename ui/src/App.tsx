import { useCallback, useEffect, useState } from 'react';
import { SessionView } from './components/SessionView';
import { StartScreen } from './components/StartScreen';

/** The screen to show, from the location hash: "#/sessions/<id>" is a session, anything else the start screen. */
type Route = { screen: 'start' } | { screen: 'session'; sessionId: string };

function routeFromHash(hash: string): Route {
  const match = /^#\/sessions\/([^/?#]+)$/.exec(hash);
  return match ? { screen: 'session', sessionId: decodeURIComponent(match[1]) } : { screen: 'start' };
}

export function App() {
  const [route, setRoute] = useState<Route>(() => routeFromHash(location.hash));

  useEffect(() => {
    const onChange = () => setRoute(routeFromHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);

  const openSession = useCallback((sessionId: string) => {
    location.hash = `#/sessions/${encodeURIComponent(sessionId)}`;
  }, []);
  const goHome = useCallback(() => {
    // Replace the session's entry: Back should not reopen a session that was just ended.
    history.replaceState(null, '', location.pathname + location.search);
    setRoute({ screen: 'start' });
  }, []);

  return route.screen === 'session' ? (
    <SessionView key={route.sessionId} sessionId={route.sessionId} onLeave={goHome} />
  ) : (
    <StartScreen onOpen={openSession} />
  );
}
