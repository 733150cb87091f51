import { type RefObject, useEffect, useState } from 'react';
import type { SessionMetrics } from '../api';
import { EMPTY_STATS, formatBitrate, type LiveStats } from '../lib/stats';
import { isTryingWebrtc, type TransportState } from '../lib/transport';
import type { RemoteConnection } from '../remote/RemoteConnection';

interface StatsOverlayProps {
  connection: RefObject<RemoteConnection | null>;
  transport: TransportState;
  /** From GET /api/sessions/{id}: the runner's own numbers. */
  metrics: SessionMetrics | null;
}

const SAMPLE_MS = 1000;

/** Live numbers over the picture: transport, frame rate, bitrate, latency and resolution. */
export function StatsOverlay({ connection, transport, metrics }: StatsOverlayProps) {
  const [stats, setStats] = useState<LiveStats>(EMPTY_STATS);
  // The runner measures input-to-frame when input arrives; keep the last figure between inputs.
  const [inputToFrame, setInputToFrame] = useState<number | null>(null);
  useEffect(() => {
    if (metrics?.inputToFrameMs != null) {
      setInputToFrame(metrics.inputToFrameMs);
    }
  }, [metrics]);

  useEffect(() => {
    let stopped = false;
    const sample = async () => {
      const c = connection.current;
      if (!c) {
        return;
      }
      try {
        const s = await c.sampleStats(performance.now());
        if (!stopped) {
          setStats((prev) => ({ ...prev, ...s }));
        }
      } catch {
        // getStats can fail while a peer connection closes; the next sample will do.
      }
    };
    void sample();
    const timer = setInterval(() => void sample(), SAMPLE_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [connection]);

  const rows: { name: string; value: string; title?: string }[] = [
    { name: 'Transport', value: transport.phase === 'webrtc' ? 'WebRTC' : isTryingWebrtc(transport) ? 'WebSocket, trying WebRTC' : 'WebSocket' },
  ];
  if (transport.reason) {
    rows.push({ name: 'Fallback', value: transport.reason, title: transport.detail });
  }
  rows.push(
    { name: 'Frame rate', value: stats.fps == null ? '–' : `${stats.fps.toFixed(stats.fps < 10 ? 1 : 0)} fps` },
    { name: 'Bitrate', value: formatBitrate(stats.bitrateKbps) },
    { name: 'Round trip', value: stats.rttMs == null ? '–' : `${stats.rttMs} ms` },
    { name: 'Input → frame', value: inputToFrame == null ? '–' : `${Math.round(inputToFrame)} ms` },
    { name: 'Resolution', value: stats.width && stats.height ? `${stats.width} × ${stats.height}` : '–' },
  );
  if (metrics && metrics.memMB > 0) {
    rows.push({ name: 'Remote CPU, memory', value: `${Math.round(metrics.cpuPercent)} %, ${Math.round(metrics.memMB)} MB` });
  }
  return (
    <aside className="stats" aria-label="Connection statistics" data-testid="stats">
      <dl>
        {rows.map(({ name, value, title }) => (
          <div key={name} className="stat-row" data-stat={name} title={title}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
