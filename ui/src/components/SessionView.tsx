import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, type Session, type SessionStatus } from '../api';
import { acceptsHumanInput, currentController } from '../lib/control';
import type { Size } from '../lib/coordinates';
import { planPaste } from '../lib/clipboard';
import { isMacPlatform } from '../lib/keys';
import { describeBlocked, formatBytes, parsePolicy } from '../lib/policy';
import { isTryingWebrtc, liveTransport, type TransportState } from '../lib/transport';
import { loadFitPreference, saveFitPreference } from '../lib/viewport';
import type { Download } from '../remote/messages';
import { useDownloads } from '../remote/useDownloads';
import { useFileChooser } from '../remote/useFileChooser';
import { useRemoteClipboard } from '../remote/useRemoteClipboard';
import { useRemoteSession } from '../remote/useRemoteSession';
import { useViewportSync } from '../remote/useViewportSync';
import { attachViewInput } from '../remote/viewInput';
import { sessionHash, sessionToken } from '../auth';
import { ClipboardDialog } from './ClipboardDialog';
import { ControlBar } from './ControlBar';
import { DownloadsTray } from './DownloadsTray';
import { FileChooserBanner } from './FileChooserBanner';
import { FitToggle } from './FitToggle';
import { LinkIcon, ListIcon, StatsIcon, StopIcon } from './icons';
import { NavBar } from './NavBar';
import { PolicyButton } from './PolicyButton';
import { SoundButton } from './SoundButton';
import { StatsOverlay } from './StatsOverlay';
import { StatusBadge } from './StatusBadge';
import { Toast, useToast } from './Toast';

const DETAILS_REFRESH_MS = 2000;
const onMac = isMacPlatform(navigator.platform || navigator.userAgent);

function localStore(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

interface SessionViewProps {
  sessionId: string;
  /** Back to the start screen; the embedded live view has none. */
  onLeave?(): void;
  /** The embeddable live view: the picture and who drives, without the app's toolbar. */
  embedded?: boolean;
  /** Look only: no input handlers, no control buttons. */
  readOnly?: boolean;
}

export function SessionView({ sessionId, onLeave, embedded = false, readOnly = false }: SessionViewProps) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<HTMLDivElement>(null);
  const addressRef = useRef<HTMLDivElement>(null);
  const remote = useRemoteSession(sessionId, videoRef, canvasRef);
  const details = useSessionDetails(sessionId);
  const [showStats, setShowStats] = useState(() => !embedded && window.innerWidth >= 720);
  const [ending, setEnding] = useState(false);
  const [endError, setEndError] = useState<string | null>(null);
  const [viewFocused, setViewFocused] = useState(false);
  const [toast, showToast] = useToast();
  const [fit, setFit] = useState(() => loadFitPreference(localStore()));
  // Muted until the user asks for sound: browsers refuse to start playing sound without a gesture.
  const [muted, setMuted] = useState(true);

  const status: SessionStatus = details.gone ? 'terminated' : (remote.status?.status ?? details.session?.status ?? 'pending');
  const error = remote.status?.error || details.session?.error || '';
  const url = remote.status?.url || details.session?.currentUrl || '';
  const title = remote.status?.title || details.session?.title || '';
  const transport = liveTransport(remote.transport);
  const controller = currentController(remote.controller, details.session?.controller);
  // While an agent drives the server refuses a person's input: it is not sent at all.
  const humanInput = !readOnly && acceptsHumanInput(controller);
  const humanInputRef = useRef(humanInput);
  useEffect(() => {
    humanInputRef.current = humanInput;
  }, [humanInput]);
  // Refreshed with the session's details; the serialized form keeps it the same object between refreshes.
  const policyJson = JSON.stringify(details.session?.policy ?? null);
  const policy = useMemo(() => parsePolicy(JSON.parse(policyJson)), [policyJson]);
  const policyRef = useRef(policy);
  useEffect(() => {
    policyRef.current = policy;
  }, [policy]);

  useEffect(() => {
    const previous = document.title;
    document.title = title ? `${title} — mbi` : 'mbi — remote browser';
    return () => {
      document.title = previous;
    };
  }, [title]);

  // A refused input (e.g. a bad address) is shown for a few seconds.
  useEffect(() => {
    if (remote.notice) {
      showToast({ text: remote.notice.text, tone: 'error', testId: 'server-error' });
    }
  }, [remote.notice, showToast]);

  const { send, connection, socketFrameSize, onData } = remote;
  const live = status === 'ready';
  const socketOpen = remote.socket === 'open';

  // The policy's refusals, naming the rule.
  useEffect(
    () =>
      onData((m) => {
        if (m.type === 'blocked') {
          showToast({ text: describeBlocked(m), tone: 'error', testId: 'blocked-toast', rule: m.rule || undefined });
        }
      }),
    [onData, showToast],
  );

  // Only while this viewer may act: an agent's copies are not for the watching person's clipboard.
  const clipboard = useRemoteClipboard(onData, viewRef, humanInput, showToast);
  const fileChooser = useFileChooser(sessionId, onData, humanInput, policy, showToast);
  const dropFilesRef = useRef(fileChooser.drop);
  useEffect(() => {
    dropFilesRef.current = fileChooser.drop;
  }, [fileChooser.drop]);
  const announceDownload = useCallback(
    (d: Download, before: Download | undefined) => {
      if (d.state === 'completed' && before?.state !== 'completed') {
        showToast({ text: `Downloaded ${d.name || 'a file'}: it is in the downloads tray.`, tone: 'info', testId: 'download-toast' });
      }
    },
    [showToast],
  );
  const downloads = useDownloads(sessionId, onData, socketOpen, announceDownload);
  useViewportSync(viewRef, send, live && socketOpen && humanInput, fit);
  const changeMuted = (next: boolean) => {
    // Set here, inside the click: the browser allows sound to start during the user's gesture.
    if (videoRef.current) {
      videoRef.current.muted = next;
      void videoRef.current.play().catch(() => undefined);
    }
    setMuted(next);
  };

  const changeFit = (next: boolean) => {
    setFit(next);
    saveFitPreference(localStore(), next);
  };
  useEffect(() => {
    const view = viewRef.current;
    if (!view || readOnly) {
      return;
    }
    const usingVideo = () => connection.current?.transport.phase === 'webrtc';
    return attachViewInput(view, {
      picture: () => (usingVideo() ? videoRef.current : canvasRef.current),
      frameSize: (): Size | null => {
        const video = videoRef.current;
        if (usingVideo() && video && video.videoWidth > 0) {
          return { width: video.videoWidth, height: video.videoHeight };
        }
        return socketFrameSize.current;
      },
      send: (m) => {
        if (humanInputRef.current) {
          send(m);
        }
      },
      onMac,
      release: () => addressRef.current?.querySelector('input')?.focus(),
      planPaste: (text) => planPaste(text, policyRef.current),
      pasteRefused: (plan) => {
        if (plan.action === 'refuse') {
          showToast({ text: `Paste blocked by ${plan.rule}.`, tone: 'error', testId: 'blocked-toast', rule: plan.rule });
        } else if (plan.action === 'too-long') {
          showToast({ text: `That is too much text to paste into this session (at most ${formatBytes(plan.limit)}).`, tone: 'error' });
        }
      },
      dropFiles: (files) => humanInputRef.current && dropFilesRef.current(files),
    });
  }, [send, connection, socketFrameSize, readOnly, showToast]);

  // Once there is something to see, the keyboard goes to the remote page unless the user is elsewhere
  // (never in an embedded view: the embedding page's focus is not this view's to take).
  const pictureShown = status === 'ready' && remote.hasPicture;
  const takeFocus = pictureShown && !embedded && !readOnly;
  useEffect(() => {
    if (takeFocus && (document.activeElement === document.body || document.activeElement === null)) {
      viewRef.current?.focus({ preventScroll: true });
    }
  }, [takeFocus]);

  const endSession = async () => {
    setEnding(true);
    setEndError(null);
    try {
      await api.deleteSession(sessionId);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        setEndError(e instanceof ApiError ? `Could not end the session: ${e.message}` : 'Could not end the session.');
        setEnding(false);
        return;
      }
    }
    connection.current?.close();
    onLeave?.();
  };

  // The session's link carries its own token: it opens this session, and nothing else, to whoever gets it.
  const shareToken = sessionToken(sessionId);
  const copyLink = async () => {
    const link = `${location.origin}${location.pathname}${sessionHash(sessionId, shareToken)}`;
    try {
      await navigator.clipboard.writeText(link);
      showToast({ text: 'Link copied: it opens this session (and only this one) to whoever has it.', tone: 'info' });
    } catch {
      showToast({ text: `Copy this link to share the session: ${link}`, tone: 'info' });
    }
  };

  const ended = status === 'terminated' || status === 'error';
  const viewClass = [
    'view',
    remote.hasPicture && live && 'has-picture',
    readOnly && 'read-only',
    live && !readOnly && !humanInput && 'input-refused',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={embedded ? 'session embedded' : 'session'}>
      {!embedded && (
        <header className="toolbar">
          <button type="button" className="icon-button home" onClick={onLeave} aria-label="All sessions (this one keeps running)" title="All sessions">
            <ListIcon />
          </button>
          <div className="toolbar-nav" ref={addressRef}>
            <NavBar url={url} disabled={!live || !humanInput} send={send} afterNavigate={() => viewRef.current?.focus()} />
          </div>
          <div className="toolbar-status">
            <StatusBadge status={status} />
            <span
              className={`badge transport transport-${transport}`}
              data-testid="transport"
              data-transport={transport}
              data-phase={remote.transport.phase}
              title={transportDetail(remote.transport)}
            >
              {transport === 'webrtc' ? 'WebRTC' : 'WebSocket'}
              {isTryingWebrtc(remote.transport) && <span className="spinner small" aria-label="trying WebRTC" />}
            </span>
          </div>
          <div className="toolbar-actions">
            <DownloadsTray sessionId={sessionId} downloads={downloads} />
            {policy && <PolicyButton policy={policy} />}
            <SoundButton available={remote.soundAvailable} muted={muted} blocked={policy?.audio === 'deny'} onChange={changeMuted} />
            {!readOnly && <FitToggle fit={fit} onChange={changeFit} />}
            {shareToken && (
              <button
                type="button"
                className="icon-button"
                aria-label="Copy a link to this session"
                title="Copy a link to this session"
                data-testid="share-link"
                onClick={() => void copyLink()}
              >
                <LinkIcon />
              </button>
            )}
            <button
              type="button"
              className="icon-button"
              aria-pressed={showStats}
              aria-label="Show connection statistics"
              title="Statistics"
              onClick={() => setShowStats((s) => !s)}
            >
              <StatsIcon />
            </button>
            <button type="button" className="button danger" onClick={() => void endSession()} disabled={ending}>
              <StopIcon />
              <span>{ending ? 'Ending…' : 'End Session'}</span>
            </button>
          </div>
        </header>
      )}

      {live && (
        <ControlBar
          sessionId={sessionId}
          controller={controller}
          cdpClients={details.session?.cdpClients ?? 0}
          readOnly={readOnly}
          onSession={details.update}
        />
      )}
      {endError && (
        <div className="banner error" role="alert">
          {endError}
        </div>
      )}
      {remote.socket === 'reconnecting' && !ended && (
        <div className="banner warn" role="status">
          Connection to the session lost — reconnecting…
        </div>
      )}
      {remote.socket === 'closed' && !ended && (
        <div className="banner error" role="alert">
          Disconnected from the session.{' '}
          <button type="button" className="link" onClick={() => location.reload()}>
            Reconnect
          </button>
        </div>
      )}

      <main className="stage">
        <div
          ref={viewRef}
          className={viewClass}
          tabIndex={readOnly ? undefined : 0}
          role={readOnly ? 'img' : 'application'}
          aria-roledescription="remote browser"
          aria-label={`Remote page${title ? `: ${title}` : ''}. ${viewDescription(readOnly, humanInput)}`}
          data-testid="remote-view"
          data-transport={transport}
          onFocus={() => setViewFocused(true)}
          onBlur={() => setViewFocused(false)}
        >
          <video ref={videoRef} className="picture" hidden={transport !== 'webrtc'} autoPlay muted playsInline data-testid="remote-video" />
          <canvas ref={canvasRef} className="picture" hidden={transport === 'webrtc'} width={0} height={0} data-testid="remote-canvas" />
        </div>

        {showStats && live && (
          <StatsOverlay connection={connection} transport={remote.transport} metrics={details.session?.metrics ?? null} />
        )}
        {live && viewFocused && humanInput && (
          <div className="focus-hint" aria-hidden="true">
            Keyboard goes to the remote page · press <kbd>Esc</kbd> twice to leave
          </div>
        )}
        {/* Over the picture, not above it: a banner there would shrink the view and so resize the remote page. */}
        {!readOnly && <FileChooserBanner state={fileChooser} />}
        {toast && <Toast toast={toast} />}

        {status === 'pending' && (
          <div className="overlay" role="status">
            <span className="spinner" aria-hidden="true" />
            <p className="overlay-title">Starting the remote browser…</p>
            <p className="muted">{details.session?.url}</p>
          </div>
        )}
        {live && !remote.hasPicture && (
          <div className="overlay" role="status">
            <span className="spinner" aria-hidden="true" />
            <p className="overlay-title">Waiting for the first picture…</p>
          </div>
        )}
        {ended && (
          <div className="overlay" role="alert">
            <p className="overlay-title">{status === 'error' ? 'The session failed' : 'This session has ended'}</p>
            {error && <p className="overlay-error" data-testid="session-error">{error}</p>}
            {onLeave && (
              <button type="button" className="button primary" onClick={onLeave}>
                Back to start
              </button>
            )}
          </div>
        )}
      </main>
      {clipboard.dialogText !== null && <ClipboardDialog text={clipboard.dialogText} onClose={clipboard.closeDialog} />}
    </div>
  );
}

function viewDescription(readOnly: boolean, humanInput: boolean): string {
  if (readOnly) {
    return 'View only.';
  }
  return humanInput
    ? 'Mouse and keyboard go to the remote page; press Escape twice to leave.'
    : 'An agent is driving: take control to use the page.';
}

function transportDetail(t: TransportState): string {
  if (t.phase === 'webrtc') {
    return 'WebRTC';
  }
  if (isTryingWebrtc(t)) {
    return 'WebSocket (trying WebRTC…)';
  }
  if (t.phase === 'websocket') {
    return `WebSocket (fallback: ${t.reason}${t.detail ? ` — ${t.detail}` : ''})`;
  }
  return 'WebSocket';
}

/**
 * GET /api/sessions/{id}, refreshed: metrics for the overlay, who drives, and the status when the
 * socket cannot say. `update` takes a fresher copy the server answered with (a control handover).
 */
function useSessionDetails(sessionId: string): { session: Session | null; gone: boolean; update(session: Session): void } {
  const [session, setSession] = useState<Session | null>(null);
  const [gone, setGone] = useState(false);
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const s = await api.getSession(sessionId);
        if (!stopped) {
          setSession(s);
        }
      } catch (e) {
        if (!stopped && e instanceof ApiError && e.status === 404) {
          setGone(true);
        }
      }
    };
    void load();
    const timer = setInterval(() => void load(), DETAILS_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [sessionId]);
  return { session, gone, update: setSession };
}
