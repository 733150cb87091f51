import { describe, expect, it } from 'vitest';
import { parseBinaryFrame, parseServerMessage } from './messages';

describe('parseServerMessage', () => {
  it('reads a reconnecting status as its own message, not as a session status', () => {
    expect(parseServerMessage('{"type":"status","sessionId":"s","status":"reconnecting"}')).toEqual({ type: 'reconnecting' });
    const ready = parseServerMessage('{"type":"status","sessionId":"s","status":"ready","error":"","url":"u","title":"t"}');
    expect(ready).toMatchObject({ type: 'status', status: 'ready' });
  });

  it('reads who drives from a control message', () => {
    expect(parseServerMessage('{"type":"control","holder":"agent"}')).toEqual({ type: 'control', holder: 'agent' });
    expect(parseServerMessage('{"type":"control","holder":"human"}')).toEqual({ type: 'control', holder: 'human' });
    expect(parseServerMessage('{"type":"control","holder":"shared","extra":1}')).toEqual({ type: 'control', holder: 'shared' });
  });

  it('drops a control message with a bad holder', () => {
    for (const holder of ['"robot"', '"Agent"', '""', 'null', '1']) {
      expect(parseServerMessage(`{"type":"control","holder":${holder}}`)).toBeNull();
    }
    expect(parseServerMessage('{"type":"control"}')).toBeNull();
  });

  it('reads a binary frame: its header, then its JPEG bytes', () => {
    const header = new TextEncoder().encode('{"type":"frame","format":"jpeg","width":1280,"height":720,"seq":3,"capturedAt":5}');
    const jpeg = [0xff, 0xd8, 1, 2];
    const buffer = new ArrayBuffer(4 + header.length + jpeg.length);
    new DataView(buffer).setUint32(0, header.length);
    new Uint8Array(buffer, 4).set(header);
    new Uint8Array(buffer, 4 + header.length).set(jpeg);
    const frame = parseBinaryFrame(buffer);
    expect(frame).toMatchObject({ type: 'frame', width: 1280, height: 720, seq: 3 });
    expect(Array.from(frame!.jpeg!)).toEqual(jpeg);
  });

  it('drops a binary message that is not a frame, or cut short', () => {
    expect(parseBinaryFrame(new ArrayBuffer(2))).toBeNull();
    const lying = new ArrayBuffer(8);
    new DataView(lying).setUint32(0, 100);
    expect(parseBinaryFrame(lying)).toBeNull();
    const status = new TextEncoder().encode('{"type":"status","status":"ready"}');
    const buffer = new ArrayBuffer(4 + status.length);
    new DataView(buffer).setUint32(0, status.length);
    new Uint8Array(buffer, 4).set(status);
    expect(parseBinaryFrame(buffer)).toBeNull();
  });

  it('drops what is not a message', () => {
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage('{"type":"teleport"}')).toBeNull();
    expect(parseServerMessage('{"error":"bad"}')).toEqual({ type: 'error', error: 'bad' });
  });
});
