import { type FormEvent, useState } from 'react';
import { api, describeStartError } from '../api';
import { withScheme } from '../lib/url';
import { Logo } from './icons';
import { SessionList } from './SessionList';

export function StartScreen({ onOpen }: { onOpen: (sessionId: string, sessionToken?: string) => void }) {
  const [address, setAddress] = useState('');
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    const url = withScheme(address);
    if (!url) {
      setError('Enter the address of a web page, e.g. https://example.com');
      return;
    }
    setStarting(true);
    setError(null);
    try {
      const created = await api.createSession(url);
      onOpen(created.sessionId, created.sessionToken);
    } catch (err) {
      setError(describeStartError(err));
      setStarting(false);
    }
  };

  return (
    <div className="start">
      <header className="start-header">
        <Logo />
        <span className="tagline">remote browser</span>
      </header>
      <main className="start-main">
        <section className="card hero" aria-labelledby="start-title">
          <h1 id="start-title">Open a page in an isolated browser</h1>
          <p className="lead">
            The page runs in a Chromium on the server. You see it live and drive it with your mouse and keyboard; its
            code never runs on your machine.
          </p>
          <form className="start-form" onSubmit={start} noValidate>
            <label htmlFor="start-url" className="field-label">
              Web address
            </label>
            <div className="start-row">
              <input
                id="start-url"
                type="url"
                inputMode="url"
                autoComplete="url"
                spellCheck={false}
                placeholder="https://example.com"
                value={address}
                onChange={(e) => setAddress(e.target.value)}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? 'start-error' : undefined}
                autoFocus
              />
              <button type="submit" className="button primary" disabled={starting}>
                {starting ? 'Starting…' : 'Start Session'}
              </button>
            </div>
            <div id="start-error" className="form-error" role="alert" aria-live="assertive">
              {error}
            </div>
          </form>
        </section>
        <SessionList onOpen={onOpen} />
      </main>
    </div>
  );
}
