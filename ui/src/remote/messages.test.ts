import { describe, expect, it } from 'vitest';
import { parseServerMessage } from './messages';

describe('parseServerMessage', () => {
  it('reads a reconnecting status as its own message, not as a session status', () => {
    expect(parseServerMessage('{"type":"status","sessionId":"s","status":"reconnecting"}')).toEqual({ type: 'reconnecting' });
    const ready = parseServerMessage('{"type":"status","sessionId":"s","status":"ready","error":"","url":"u","title":"t"}');
    expect(ready).toMatchObject({ type: 'status', status: 'ready' });
  });

  it('drops what is not a message', () => {
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage('{"type":"teleport"}')).toBeNull();
    expect(parseServerMessage('{"error":"bad"}')).toEqual({ type: 'error', error: 'bad' });
  });
});
