import { describe, expect, it } from 'vitest';
import { base64Bytes, formatBitrate, RateMeter, type RtcStat, summarizeRtcStats } from './stats';

describe('RateMeter', () => {
  it('counts events and bytes in the window only', () => {
    const m = new RateMeter(1000);
    m.add(1000, 0);
    m.add(1000, 500);
    m.add(1000, 900);
    expect(m.perSecond(900)).toBe(3);
    expect(m.kbps(900)).toBe(24); // 3000 bytes in 1 s
    expect(m.perSecond(1400)).toBe(2); // the sample at 0 left the window
    expect(m.perSecond(5000)).toBe(0);
  });
});

describe('base64Bytes', () => {
  it('counts decoded bytes', () => {
    expect(base64Bytes(btoa('abc'))).toBe(3);
    expect(base64Bytes(btoa('abcd'))).toBe(4);
    expect(base64Bytes(btoa('abcde'))).toBe(5);
    expect(base64Bytes('')).toBe(0);
  });
});

describe('summarizeRtcStats', () => {
  const report = (at: number, bytes: number, frames: number, extra: Partial<RtcStat> = {}): RtcStat[] => [
    { id: 'T1', type: 'transport', timestamp: at, selectedCandidatePairId: 'CP2' },
    { id: 'CP1', type: 'candidate-pair', timestamp: at, currentRoundTripTime: 0.5 },
    { id: 'CP2', type: 'candidate-pair', timestamp: at, currentRoundTripTime: 0.012 },
    { id: 'IV', type: 'inbound-rtp', kind: 'video', timestamp: at, bytesReceived: bytes, framesDecoded: frames,
      frameWidth: 1280, frameHeight: 720, ...extra },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', timestamp: at, bytesReceived: 999999 },
  ];

  it('takes size and round trip from the first report, rates from the difference', () => {
    const first = summarizeRtcStats(report(1000, 10_000, 10), null);
    expect(first.stats).toEqual({ fps: null, bitrateKbps: null, rttMs: 12, width: 1280, height: 720 });

    const second = summarizeRtcStats(report(3000, 260_000, 70), first.sample);
    expect(second.stats.fps).toBe(30); // 60 frames in 2 s
    expect(second.stats.bitrateKbps).toBe(1000); // 250 kB in 2 s = 1000 kbit/s
  });

  it('prefers the browser-reported frame rate', () => {
    const s = summarizeRtcStats(report(3000, 0, 0, { framesPerSecond: 24 }), { at: 1000, bytesReceived: 0, framesDecoded: 0 });
    expect(s.stats.fps).toBe(24);
  });

  it('finds a nominated pair when the transport names none', () => {
    const s = summarizeRtcStats(
      [{ id: 'CP', type: 'candidate-pair', timestamp: 0, nominated: true, state: 'succeeded', currentRoundTripTime: 0.04 }],
      null,
    );
    expect(s.stats.rttMs).toBe(40);
    expect(s.sample).toBeNull();
  });
});

describe('formatBitrate', () => {
  it('picks a unit', () => {
    expect(formatBitrate(null)).toBe('–');
    expect(formatBitrate(512.4)).toBe('512 kbit/s');
    expect(formatBitrate(2500)).toBe('2.5 Mbit/s');
  });
});
