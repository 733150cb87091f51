import { useEffect, useState } from 'react';
import { onUnauthorized } from '../auth';
import type { LiveViewRoute } from '../lib/route';
import { SessionView } from './SessionView';

/**
 * The embeddable live view (/api/sessions/<id>/live, in an iframe): one session's picture and who
 * drives, nothing of the app around it. Its only credential is the token in its address.
 */
export function LiveView({ route }: { route: LiveViewRoute }) {
  // No login prompt here: the embedding page chose the token, so a refusal is the link's fault.
  const [refused, setRefused] = useState(false);
  useEffect(() => onUnauthorized(() => setRefused(true)), []);

  return (
    <div className="live-view">
      {refused && (
        <div className="banner error" role="alert" data-testid="live-view-refused">
          The server refused this live view's token: the link is wrong or has expired.
        </div>
      )}
      <SessionView sessionId={route.sessionId} embedded readOnly={route.readOnly} />
    </div>
  );
}
