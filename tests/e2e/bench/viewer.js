// A viewer as a user's browser runs one, injected into a page of the edge's origin by the bench:
// the WebSocket JPEG path (createImageBitmap) and the WebRTC path (requestVideoFrameCallback),
// each timing the click that toggles the remote page against the first picture that shows it.
// The WebRTC viewer asks the runner for each pushed frame's timing and finds the shown frame's
// by its RTP timestamp (rtp = 90 × ntpMs + a constant per stream, mod 2^32).
(() => {
  const probe = document.createElement('canvas');
  probe.width = 8;
  probe.height = 8;
  const probeCtx = probe.getContext('2d', { willReadFrequently: true });

  /** Mean brightness (0-255) of an 8x8 patch of a picture, at a spot given as fractions of its size. */
  function brightness(source, width, height, fx = 0.5, fy = 0.5) {
    probeCtx.drawImage(source, Math.floor(width * fx), Math.floor(height * fy), 8, 8, 0, 0, 8, 8);
    const d = probeCtx.getImageData(0, 0, 8, 8).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
    return sum / (d.length / 4) / 3;
  }

  async function api(method, path, token, body) {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Pictures as they are shown, and waits for one that passes a test. */
  class Pictures {
    constructor() {
      this.waiters = [];
      this.count = 0;
      this.bytes = 0;
      this.last = null;
    }
    shown(picture) {
      this.count++;
      this.last = picture;
      this.waiters = this.waiters.filter((w) => !w(picture));
    }
    waitFor(test, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching picture within ${timeoutMs} ms (last: ${JSON.stringify(this.last)})`)), timeoutMs);
        this.waiters.push((p) => {
          if (!test(p)) return false;
          clearTimeout(timer);
          resolve(p);
          return true;
        });
      });
    }
  }

  class WsViewer {
    constructor(id, token) {
      this.pictures = new Pictures();
      this.canvas = document.body.appendChild(document.createElement('canvas'));
      this.canvas.style.width = '320px';
      // Binary frames, as the UI takes them: a 4-byte length, the JSON header, then the JPEG.
      this.ws = new WebSocket(`ws://${location.host}/ws/sessions/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}&frames=binary`);
      this.ws.binaryType = 'arraybuffer';
      this.opened = new Promise((resolve, reject) => {
        this.ws.onopen = resolve;
        this.ws.onerror = () => reject(new Error('the viewer socket failed'));
      });
      this.decoding = Promise.resolve();
      this.ws.onmessage = (m) => {
        const received = performance.now();
        if (typeof m.data === 'string') return; // status and errors
        const headerLength = new DataView(m.data).getUint32(0);
        const msg = JSON.parse(new TextDecoder().decode(new Uint8Array(m.data, 4, headerLength)));
        if (msg.type !== 'frame') return;
        const bytes = new Uint8Array(m.data, 4 + headerLength);
        // Decoded in arrival order, as a viewer shows them.
        this.decoding = this.decoding.then(async () => {
          this.pictures.bytes += bytes.length;
          const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
          const shown = performance.now();
          const b = brightness(bitmap, bitmap.width, bitmap.height);
          // Drawn as the UI draws it, then painted by the next rendering step: the time that step runs
          // its callbacks is comparable to when requestVideoFrameCallback's callback runs for video.
          this.canvas.width = bitmap.width;
          this.canvas.height = bitmap.height;
          this.canvas.getContext('2d').drawImage(bitmap, 0, 0);
          bitmap.close();
          const painted = new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
          const epochUs = (t) => (performance.timeOrigin + t) * 1000;
          this.pictures.shown({ b, received, shown, painted, seq: msg.seq, timing: msg.timing, receivedUs: epochUs(received), shownUs: epochUs(shown) });
        });
      };
    }
    send(message) {
      this.ws.send(JSON.stringify(message));
    }
    close() {
      this.ws.close();
      this.canvas.remove();
    }
  }

  const RTP_MODULO = 2 ** 32;
  /** (rtp − 90 × ntpMs) mod 2^32: the same for every frame of a stream (exact in doubles: both stay below 2^53). */
  const rtpOffset = (rtp, ntpMs) => (((rtp - 90 * ntpMs) % RTP_MODULO) + RTP_MODULO) % RTP_MODULO;
  /** Runner timings and shown frames kept for the alignment: a few seconds' worth at 30 fps. */
  const KEEP_TIMINGS = 600;
  const ALIGN_OVER_SHOWN = 60;

  class RtcViewer {
    async connect(id, token) {
      this.pictures = new Pictures();
      /** The runner's timing of each frame it pushed to the encoder: {ntpMs, capturedAt, pushedAt} (epoch ms). */
      this.timings = [];
      /** RTP timestamps of the frames shown lately, newest last. */
      this.shownRtp = [];
      const ice = await api('GET', `/api/sessions/${encodeURIComponent(id)}/ice`, token);
      const pc = new RTCPeerConnection({ iceServers: ice.iceServers || [] });
      this.pc = pc;
      pc.addTransceiver('video', { direction: 'recvonly' });
      this.input = pc.createDataChannel('input', { ordered: true });
      const channelOpen = new Promise((resolve) => (this.input.onopen = resolve));
      this.input.onmessage = (m) => {
        let msg;
        try {
          msg = JSON.parse(m.data);
        } catch {
          return;
        }
        if (msg.type !== 'videoTiming') return;
        this.timings.push({ ntpMs: msg.ntpMs, capturedAt: msg.capturedAt, pushedAt: msg.pushedAt });
        if (this.timings.length > KEEP_TIMINGS) this.timings.splice(0, this.timings.length - KEEP_TIMINGS);
      };
      const track = new Promise((resolve) => (pc.ontrack = (e) => resolve(e.track)));
      await pc.setLocalDescription(await pc.createOffer());
      if (pc.iceGatheringState !== 'complete') {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 2000);
          pc.addEventListener('icegatheringstatechange', () => {
            if (pc.iceGatheringState === 'complete') {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      }
      let answer;
      for (let attempt = 0; ; attempt++) {
        try {
          answer = await api('POST', `/api/sessions/${encodeURIComponent(id)}/offer`, token, { type: 'offer', sdp: pc.localDescription.sdp });
          break;
        } catch (e) {
          if (attempt > 50 || !String(e.message).includes('409')) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await pc.setRemoteDescription(answer);
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.style.width = '320px';
      document.body.append(video);
      video.srcObject = new MediaStream([await track]);
      this.video = video;
      const onFrame = (now, meta) => {
        // When the rendering step runs this callback: `now` is that step's frame time, which can come before the frame arrived.
        const calledAt = performance.now();
        const b = brightness(video, video.videoWidth, video.videoHeight);
        if (typeof meta.rtpTimestamp === 'number') {
          this.shownRtp.push(meta.rtpTimestamp);
          if (this.shownRtp.length > ALIGN_OVER_SHOWN) this.shownRtp.shift();
        }
        this.pictures.shown({ b, shown: now, calledAt, expectedDisplayTime: meta.expectedDisplayTime, receiveTime: meta.receiveTime,
          captureTime: meta.captureTime, rtpTimestamp: meta.rtpTimestamp, width: meta.width, height: meta.height });
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      await channelOpen;
      this.input.send(JSON.stringify({ type: 'videoTimings', enabled: true }));
      await this.pictures.waitFor(() => true, 15000);
    }
    send(message) {
      this.input.send(JSON.stringify(message));
    }
    /**
     * The runner's timing of a shown frame. The stream's constant is the most frequent
     * (rtp − 90 × ntpMs) over all pairs of a recently shown frame and a runner timing: the right
     * pairs agree, the others scatter. Then the frame's timing is the one with that constant.
     */
    runnerTiming(rtpTimestamp) {
      if (typeof rtpTimestamp !== 'number') return { reason: 'the browser gave no rtpTimestamp' };
      if (!this.timings.length) return { reason: 'no frame timings from the runner' };
      const votes = new Map();
      for (const rtp of this.shownRtp) {
        for (const t of this.timings) {
          const k = rtpOffset(rtp, t.ntpMs);
          votes.set(k, (votes.get(k) ?? 0) + 1);
        }
      }
      let k = null;
      let agree = 0;
      let runnerUp = 0;
      for (const [candidate, n] of votes) {
        if (n > agree) {
          runnerUp = agree;
          k = candidate;
          agree = n;
        } else if (n > runnerUp) {
          runnerUp = n;
        }
      }
      // A few pairs agree by chance among thousands; the real constant is shared by most shown frames.
      if (agree < Math.max(3, this.shownRtp.length / 2)) {
        return { reason: `no constant shared by most shown frames (best: ${agree} of ${this.shownRtp.length})` };
      }
      // Frames pushed at even intervals also agree on the constant shifted by one interval: a tie is no answer.
      if (runnerUp === agree) return { reason: `two constants share ${agree} of ${this.shownRtp.length} shown frames` };
      const timing = this.timings.find((t) => rtpOffset(rtpTimestamp, t.ntpMs) === k);
      if (!timing) return { reason: 'no runner timing for the frame' };
      return { timing, agree, runnerUp, of: this.shownRtp.length };
    }
    async inboundVideo() {
      for (const r of (await this.pc.getStats()).values()) {
        if (r.type === 'inbound-rtp' && r.kind === 'video') return { frames: r.framesDecoded || 0, bytes: r.bytesReceived || 0 };
      }
      return { frames: 0, bytes: 0 };
    }
    close() {
      this.pc.close();
      this.video.remove();
    }
  }

  const viewers = new Map();
  let nextId = 0;
  const press = (type, w, h) => ({ type, x: w / 2, y: h / 2, width: w, height: h, button: 0, clickCount: 1 });

  window.benchViewer = {
    api,
    async openWs(id, token) {
      const v = new WsViewer(id, token);
      await v.opened;
      const key = `ws${nextId++}`;
      viewers.set(key, v);
      return key;
    },
    async openRtc(id, token) {
      const v = new RtcViewer();
      await v.connect(id, token);
      const key = `rtc${nextId++}`;
      viewers.set(key, v);
      return key;
    },
    /** The brightness of the newest picture (waiting for a first one). */
    async current(key) {
      const v = viewers.get(key);
      if (v.pictures.last) return v.pictures.last.b;
      return (await v.pictures.waitFor(() => true, 15000)).b;
    },
    /** Clicks the middle of the remote page and times the first picture whose brightness crosses to the other side. */
    async click(key, timeoutMs = 5000) {
      const v = viewers.get(key);
      const before = v.pictures.last ? v.pictures.last.b : 0;
      // The other state, by a clear margin (a display capture shows the page's white somewhat darker).
      const wantBright = before < 75;
      const shown = v.pictures.waitFor((p) => (wantBright ? p.b > before + 60 : p.b < before - 60), timeoutMs);
      const sent = performance.now();
      v.send(press('mousedown', 1280, 720));
      v.send(press('mouseup', 1280, 720));
      const p = await shown;
      const result = { ms: p.shown - sent, sentAt: sent, sentUs: (performance.timeOrigin + sent) * 1000, picture: { ...p, painted: undefined } };
      if (p.painted) result.paintedMs = (await p.painted) - sent;
      if (typeof p.calledAt === 'number') result.paintedMs = p.calledAt - sent;
      if (v instanceof RtcViewer) {
        // The timing goes out on the DataChannel right after the push, so it is normally here
        // before the frame; if not, once more a little later.
        let runner = v.runnerTiming(p.rtpTimestamp);
        if (!runner.timing) {
          await new Promise((r) => setTimeout(r, 200));
          runner = v.runnerTiming(p.rtpTimestamp);
        }
        result.runner = runner;
        result.epochMs = {
          sent: performance.timeOrigin + sent,
          arrived: typeof p.receiveTime === 'number' ? performance.timeOrigin + p.receiveTime : undefined,
          shown: performance.timeOrigin + p.shown,
        };
      }
      return result;
    },
    /** Frames shown and bytes received so far. */
    async counts(key) {
      const v = viewers.get(key);
      if (v instanceof RtcViewer) return v.inboundVideo();
      return { frames: v.pictures.count, bytes: v.pictures.bytes };
    },
    /** Decodes a JPEG (base64) as the WebSocket path does; returns how long the decode took in this page. */
    async decodeMs(base64) {
      const start = performance.now();
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
      const b = brightness(bitmap, bitmap.width, bitmap.height);
      bitmap.close();
      return { ms: performance.now() - start, b };
    },
    /** Sends the viewer's session to another page (over the WebSocket, or over the DataChannel). */
    navigate(key, url) {
      viewers.get(key).send({ type: 'navigate', url });
    },
    close(key) {
      viewers.get(key)?.close();
      viewers.delete(key);
    },
  };
})();
