import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { holdSessionTokenForPage, takeTokenFromAddress } from './auth';
import { LiveView } from './components/LiveView';
import { liveViewFromLocation } from './lib/route';
import './styles.css';

const liveView = liveViewFromLocation(location.pathname, location.search);
if (liveView) {
  // The live view's ?token= is a session token for this page alone: not a login, and not kept.
  if (liveView.sessionToken) {
    holdSessionTokenForPage(liveView.sessionId, liveView.sessionToken);
  }
} else {
  // A login link (/?token=…) leaves its token in this browser, and not in the address bar.
  takeTokenFromAddress();
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>{liveView ? <LiveView route={liveView} /> : <App />}</StrictMode>,
);
