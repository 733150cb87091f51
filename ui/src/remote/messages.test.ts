import { describe, expect, it } from 'vitest';
import { clipboardInput, parseBinaryFrame, parseDownload, parseServerMessage, resizeInput } from './messages';

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

describe('data messages', () => {
  it('reads clipboard text', () => {
    expect(parseServerMessage('{"type":"clipboard","text":"hello\\nworld"}')).toEqual({ type: 'clipboard', text: 'hello\nworld' });
    expect(parseServerMessage('{"type":"clipboard","text":""}')).toEqual({ type: 'clipboard', text: '' });
  });

  it('drops clipboard messages without text', () => {
    expect(parseServerMessage('{"type":"clipboard"}')).toBeNull();
    expect(parseServerMessage('{"type":"clipboard","text":5}')).toBeNull();
  });

  it('reads a download, its times in any of the usual forms', () => {
    const m = parseServerMessage(
      '{"type":"download","id":"d1","name":"report.pdf","size":2048,"received":1024,"mime":"application/pdf","state":"in_progress","createdAt":1733090000000}',
    );
    expect(m).toEqual({
      type: 'download',
      id: 'd1',
      name: 'report.pdf',
      size: 2048,
      received: 1024,
      mime: 'application/pdf',
      state: 'in_progress',
      createdAt: 1733090000000,
    });
    const digits = parseServerMessage('{"type":"download","id":"d","name":"a","size":"10","state":"completed","createdAt":"1733090000000"}');
    expect(digits).toMatchObject({ size: 10, received: 10, mime: '', createdAt: 1733090000000 });
    const iso = parseServerMessage('{"type":"download","id":"d","name":"a","state":"canceled","createdAt":"2024-12-01T22:00:00Z"}');
    expect(iso).toMatchObject({ state: 'canceled', size: 0, createdAt: Date.parse('2024-12-01T22:00:00Z') });
  });

  it('drops downloads of a bad shape', () => {
    const bad = [
      '{"type":"download","name":"a","state":"completed"}',
      '{"type":"download","id":"","name":"a","state":"completed"}',
      '{"type":"download","id":"d","state":"completed"}',
      '{"type":"download","id":"d","name":"a","state":"done"}',
      '{"type":"download","id":"d","name":"a","state":"completed","size":-1}',
      '{"type":"download","id":"d","name":"a","state":"completed","size":"big"}',
      '{"type":"download","id":"d","name":"a","state":"completed","mime":3}',
    ];
    for (const text of bad) {
      expect(parseServerMessage(text), text).toBeNull();
    }
  });

  it('reads a file chooser, with defaults for what it leaves out', () => {
    expect(parseServerMessage('{"type":"filechooser","id":"c1","multiple":true,"accept":[".pdf","image/*"]}')).toEqual({
      type: 'filechooser',
      id: 'c1',
      multiple: true,
      accept: ['.pdf', 'image/*'],
    });
    expect(parseServerMessage('{"type":"filechooser","id":"c2"}')).toEqual({ type: 'filechooser', id: 'c2', multiple: false, accept: [] });
    expect(parseServerMessage('{"type":"filechooser","id":"c3","accept":[" .txt ",""]}')).toMatchObject({ accept: ['.txt'] });
  });

  it('drops file choosers of a bad shape', () => {
    for (const text of [
      '{"type":"filechooser"}',
      '{"type":"filechooser","id":7}',
      '{"type":"filechooser","id":"c","multiple":"yes"}',
      '{"type":"filechooser","id":"c","accept":".pdf"}',
      '{"type":"filechooser","id":"c","accept":[1]}',
    ]) {
      expect(parseServerMessage(text), text).toBeNull();
    }
  });

  it('reads what the policy blocked', () => {
    expect(parseServerMessage('{"type":"blocked","action":"download","rule":"policy.downloads = deny","message":"no"}')).toEqual({
      type: 'blocked',
      action: 'download',
      rule: 'policy.downloads = deny',
      message: 'no',
    });
    expect(parseServerMessage('{"type":"blocked","action":"print","rule":"policy.printing = deny"}')).toMatchObject({ message: '' });
    expect(parseServerMessage('{"type":"blocked","action":"print"}')).toBeNull();
    expect(parseServerMessage('{"type":"blocked","rule":"r","action":1}')).toBeNull();
  });
});

describe('client data messages', () => {
  it('makes a clipboard message', () => {
    expect(clipboardInput('x')).toEqual({ type: 'clipboard', text: 'x' });
  });

  it('makes a resize the server accepts', () => {
    expect(resizeInput(1024.6, 700.2, 2, true)).toEqual({ type: 'resize', width: 1025, height: 700, deviceScaleFactor: 2, mobile: true });
    expect(resizeInput(0, 20_000, 6, false)).toMatchObject({ width: 1, height: 10_000, deviceScaleFactor: 4 });
    expect(resizeInput(Number.NaN, 10, 0, false)).toMatchObject({ width: 1, deviceScaleFactor: 1 });
    expect(resizeInput(10, 10, -1, false).deviceScaleFactor).toBe(1);
  });
});

describe('parseDownload', () => {
  it('takes a list entry without received as fully received when completed', () => {
    expect(parseDownload({ id: 'a', name: 'n', size: 5, mime: 'text/plain', state: 'completed', createdAt: 1 })).toMatchObject({ received: 5 });
    expect(parseDownload({ id: 'a', name: 'n', size: 5, state: 'in_progress' })).toMatchObject({ received: 0 });
    expect(parseDownload(null)).toBeNull();
    expect(parseDownload('x')).toBeNull();
  });
});
