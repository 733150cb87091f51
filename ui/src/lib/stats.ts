/** Live numbers for the stats overlay, computed from samples the view collects. */

export interface LiveStats {
  fps: number | null;
  bitrateKbps: number | null;
  /** Network round trip (WebRTC) in ms. */
  rttMs: number | null;
  /** Input to the first frame showing its effect, as the runner measures it, in ms. */
  inputToFrameMs: number | null;
  width: number | null;
  height: number | null;
}

export const EMPTY_STATS: LiveStats = {
  fps: null,
  bitrateKbps: null,
  rttMs: null,
  inputToFrameMs: null,
  width: null,
  height: null,
};

/** Counts events and bytes over a sliding window (frames and their sizes on the WebSocket). */
export class RateMeter {
  private samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 2000) {}

  add(bytes: number, now: number): void {
    this.samples.push({ at: now, bytes });
    this.prune(now);
  }

  /** Events per second over the window. */
  perSecond(now: number): number {
    this.prune(now);
    return (this.samples.length * 1000) / this.windowMs;
  }

  /** Kilobits per second over the window. */
  kbps(now: number): number {
    this.prune(now);
    const bytes = this.samples.reduce((sum, s) => sum + s.bytes, 0);
    return (bytes * 8) / this.windowMs;
  }

  private prune(now: number): void {
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].at <= from) {
      drop++;
    }
    if (drop > 0) {
      this.samples.splice(0, drop);
    }
  }
}

/** Bytes carried by a base64 string (the JPEG inside a frame message). */
export function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** The parts of RTCStatsReport entries the overlay uses (loose, as browsers differ). */
export interface RtcStat {
  id: string;
  type: string;
  timestamp: number;
  kind?: string;
  bytesReceived?: number;
  framesPerSecond?: number;
  framesDecoded?: number;
  frameWidth?: number;
  frameHeight?: number;
  currentRoundTripTime?: number;
  selectedCandidatePairId?: string;
  state?: string;
  nominated?: boolean;
  selected?: boolean;
}

/** What is kept from one getStats() call to compute rates from the next. */
export interface RtcSample {
  at: number;
  bytesReceived: number;
  framesDecoded: number;
}

/**
 * Summarises one getStats() report: the inbound video stream's rate, size and the selected
 * candidate pair's round trip. Rates come from the difference to the previous sample.
 */
export function summarizeRtcStats(
  report: Iterable<RtcStat>,
  previous: RtcSample | null,
): { stats: Omit<LiveStats, 'inputToFrameMs'>; sample: RtcSample | null } {
  const all = [...report];
  const video = all.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
  const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair =
    all.find((s) => s.type === 'candidate-pair' && s.id === transport?.selectedCandidatePairId) ??
    all.find((s) => s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded')));
  const rttMs = pair?.currentRoundTripTime != null ? Math.round(pair.currentRoundTripTime * 1000) : null;
  if (!video) {
    return { stats: { fps: null, bitrateKbps: null, rttMs, width: null, height: null }, sample: null };
  }
  const sample: RtcSample = {
    at: video.timestamp,
    bytesReceived: video.bytesReceived ?? 0,
    framesDecoded: video.framesDecoded ?? 0,
  };
  let fps = video.framesPerSecond ?? null;
  let bitrateKbps: number | null = null;
  if (previous && sample.at > previous.at) {
    const seconds = (sample.at - previous.at) / 1000;
    bitrateKbps = ((sample.bytesReceived - previous.bytesReceived) * 8) / 1000 / seconds;
    if (fps == null) {
      fps = (sample.framesDecoded - previous.framesDecoded) / seconds;
    }
  }
  return {
    stats: {
      fps,
      bitrateKbps,
      rttMs,
      width: video.frameWidth ?? null,
      height: video.frameHeight ?? null,
    },
    sample,
  };
}

export function formatBitrate(kbps: number | null): string {
  if (kbps == null) {
    return '–';
  }
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`;
}
