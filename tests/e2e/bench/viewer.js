// A viewer as a user's browser runs one, injected into a page of the edge's origin by the bench:
// the WebSocket JPEG path (createImageBitmap) and the WebRTC path (requestVideoFrameCallback),
// each timing the click that toggles the remote page against the first picture that shows it.
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
          bitmap.close();
          const epochUs = (t) => (performance.timeOrigin + t) * 1000;
          this.pictures.shown({ b, received, shown, seq: msg.seq, timing: msg.timing, receivedUs: epochUs(received), shownUs: epochUs(shown) });
        });
      };
    }
    send(message) {
      this.ws.send(JSON.stringify(message));
    }
    close() {
      this.ws.close();
    }
  }

  class RtcViewer {
    async connect(id, token) {
      this.pictures = new Pictures();
      const ice = await api('GET', `/api/sessions/${encodeURIComponent(id)}/ice`, token);
      const pc = new RTCPeerConnection({ iceServers: ice.iceServers || [] });
      this.pc = pc;
      pc.addTransceiver('video', { direction: 'recvonly' });
      this.input = pc.createDataChannel('input', { ordered: true });
      const channelOpen = new Promise((resolve) => (this.input.onopen = resolve));
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
        const b = brightness(video, video.videoWidth, video.videoHeight);
        this.pictures.shown({ b, shown: now, expectedDisplayTime: meta.expectedDisplayTime, receiveTime: meta.receiveTime,
          captureTime: meta.captureTime, width: meta.width, height: meta.height });
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      await channelOpen;
      await this.pictures.waitFor(() => true, 15000);
    }
    send(message) {
      this.input.send(JSON.stringify(message));
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
      return { ms: p.shown - sent, sentAt: sent, sentUs: (performance.timeOrigin + sent) * 1000, picture: p };
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
