/**
 * What the user typed into an address field, as the URL to send: trimmed, and "example.com" or
 * "localhost:3000/x" become https://… like a browser's address bar. Everything else (which
 * schemes are allowed, whether there is a host) is the server's to judge, and its answer is shown.
 */
export function withScheme(input: string): string {
  const text = input.trim();
  if (!text) {
    return '';
  }
  // "host:port…" looks like a scheme to a URL parser, so a scheme needs letters then ':' not followed by a port.
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) && !/^[^/:]+:\d+(\/|\?|#|$)/.test(text);
  return hasScheme ? text : `https://${text}`;
}
