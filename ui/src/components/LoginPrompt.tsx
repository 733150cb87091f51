import { type FormEvent, useState } from 'react';
import { Logo } from './icons';

/** Asks for an access token when the server answered 401; the token is kept in this browser. */
export function LoginPrompt({ rejected, onToken }: { rejected: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) {
      onToken(token.trim());
    }
  };
  return (
    <div className="login-backdrop">
      <form className="card login" role="dialog" aria-modal="true" aria-labelledby="login-title" onSubmit={submit} data-testid="login">
        <Logo />
        <h2 id="login-title">Sign in</h2>
        <p className="muted">
          This server needs an access token. Paste the one you were given, or open the login link the server printed when
          it started.
        </p>
        {rejected && (
          <p className="form-error" role="alert">
            That token was not accepted. Check it and try again.
          </p>
        )}
        <label htmlFor="login-token" className="field-label">
          Access token
        </label>
        <div className="start-row">
          <input
            id="login-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoFocus
          />
          <button type="submit" className="button primary" disabled={!token.trim()}>
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}
