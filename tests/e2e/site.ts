/**
 * A web site on 127.0.0.1 for the remote browser to open. Its pages report what happens to them
 * (clicks, keys, submits, focus, wheel, context menu) to this server, so a test sees exactly what
 * the remote page received.
 */

import { createServer, type Server } from 'node:http';

/**
 * Layout in the remote page's CSS pixels (the viewport is 1280x720, the frame space too):
 * the corner square blinks so the picture keeps changing; the button turns the page red.
 */
export const LAYOUT = {
  blinker: { x: 0, y: 0, width: 80, height: 80 },
  button: { x: 760, y: 80, width: 360, height: 180 },
  field: { x: 100, y: 420, width: 520, height: 80 },
  secondField: { x: 100, y: 560, width: 520, height: 80 },
  /** A spot of plain background, away from everything. */
  background: { x: 1000, y: 600 },
};

export const GREEN = [0, 192, 0];
export const RED = [224, 0, 0];

const box = (b: { x: number; y: number; width: number; height: number }) =>
  `position:absolute;left:${b.x}px;top:${b.y}px;width:${b.width}px;height:${b.height}px;box-sizing:border-box;margin:0`;

const PAGE = `<!doctype html><html><head><title>test page</title></head>
<body style="margin:0;background:rgb(${GREEN});width:100vw;height:100vh;overflow:hidden">
<div id="blinker" style="${box(LAYOUT.blinker)};background:#0000ff"></div>
<button id="b" style="${box(LAYOUT.button)};font-size:40px"
  onclick="document.body.style.background='rgb(${RED})';report('click')">Click</button>
<form id="f" onsubmit="report('submit:' + document.getElementById('t').value); return false;">
  <input id="t" autocomplete="off" style="${box(LAYOUT.field)};font-size:40px">
</form>
<input id="t2" autocomplete="off" style="${box(LAYOUT.secondField)};font-size:40px" onfocus="report('focus:t2')">
<a id="next" href="/page2" style="position:absolute;left:700px;top:420px;font-size:30px">next page</a>
<script>
  function report(what) { fetch('/report?event=' + encodeURIComponent(what)); }
  let on = false;
  setInterval(() => { on = !on; document.getElementById('blinker').style.background = on ? '#ffff00' : '#0000ff'; }, 150);
  window.addEventListener('contextmenu', e => { e.preventDefault(); report('contextmenu'); });
  window.addEventListener('wheel', e => report('wheel:' + Math.sign(e.deltaY)));
</script>
</body></html>`;

const PAGE2 = `<!doctype html><html><head><title>second page</title></head>
<body style="margin:0;background:#ffffff;font-size:40px">Second page
<script>fetch('/report?event=' + encodeURIComponent('loaded:page2'));</script></body></html>`;

/** Any mouse press toggles the whole page between black and white (input-to-photon measurements). */
const TOGGLE = `<!doctype html><html><head><title>toggle</title></head>
<body style="margin:0;background:#000;width:100vw;height:100vh"
  onmousedown="document.body.style.background = document.body.style.background === 'rgb(255, 255, 255)' ? '#000' : '#fff'">
</body></html>`;

/** A page that changes every animation frame (frame rate, bitrate and CPU measurements). */
const ANIMATED = `<!doctype html><html><head><title>animated</title></head>
<body style="margin:0;overflow:hidden"><canvas id="c" width="1280" height="720"></canvas>
<script>
  const c = document.getElementById('c').getContext('2d');
  let t = 0;
  function draw() {
    t++;
    c.fillStyle = 'hsl(' + (t * 7 % 360) + ',70%,50%)';
    c.fillRect(0, 0, 1280, 720);
    c.fillStyle = '#fff';
    c.font = '120px sans-serif';
    c.fillText('frame ' + t, 100 + (t * 13 % 600), 400);
    requestAnimationFrame(draw);
  }
  draw();
</script></body></html>`;

/** Three screens of random pixels: a full-page PNG of it cannot be small. */
const NOISE = `<!doctype html><html><head><title>noise</title></head><body style="margin:0">
<canvas id="c" width="1280" height="2400" style="display:block"></canvas>
<script>
  const c = document.getElementById('c').getContext('2d');
  const img = c.createImageData(1280, 2400);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 4 === 3) ? 255 : Math.random() * 256;
  c.putImageData(img, 0, 0);
</script></body></html>`;
/** What crosses a session's boundary: copy, a download, a file input and print, each at a known spot. */
export const DATA_LAYOUT = {
  copy: { x: 0, y: 0, width: 300, height: 100 },
  download: { x: 0, y: 240, width: 300, height: 100 },
  file: { x: 0, y: 360, width: 300, height: 100 },
};
const DATA = `<!doctype html><html><head><title>data paths</title><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;background:rgb(${GREEN});width:100vw;height:100vh">
<button id="copy" style="${box(DATA_LAYOUT.copy)}"
  onclick="navigator.clipboard.writeText('copied by the page').catch(e => report('copy failed:' + e))">Copy</button>
<a id="dl" href="/file?bytes=65536" style="${box(DATA_LAYOUT.download)};display:block">download</a>
<input id="file" type="file" accept=".txt,text/plain" style="${box(DATA_LAYOUT.file)}"
  onchange="for (const f of this.files) report('file:' + f.name + ':' + f.size)">
<script>function report(what) { fetch('/report?event=' + encodeURIComponent(what)); }</script>
</body></html>`;
/** The bytes /file?bytes=N serves: the same for every request, so a test knows them. */
export function fileBytes(length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}
/** A click anywhere plays a 440 Hz tone and turns the page red (browsers let pages sound after a gesture). */
const TONE = `<!doctype html><html><head><title>tone</title></head>
<body style="margin:0;background:#00c000;width:100vw;height:100vh">
<script>
  document.body.addEventListener('mousedown', async () => {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 440;
    tone.connect(audio.destination);
    tone.start();
    await audio.resume();
    document.body.style.background = '#e00000';
    fetch('/report?event=' + encodeURIComponent('tone:' + audio.state));
  }, { once: true });
</script>
</body></html>`;

/** A blank page from which tests run their own WebRTC peer. */
const BLANK = '<!doctype html><html><head><title>peer</title></head><body></body></html>';

export class TestSite {
  private readonly reports: string[] = [];
  /** Reports before this index have been consumed by an earlier wait. */
  private cursor = 0;
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<TestSite> {
    let site: TestSite | null = null;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string) => {
        res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
        res.end(body);
      };
      switch (url.pathname) {
        case '/page':
          return send('text/html', PAGE);
        case '/page2':
          return send('text/html', PAGE2);
        case '/blank':
          return send('text/html', BLANK);
        case '/toggle':
          return send('text/html', TOGGLE);
        case '/animated':
          return send('text/html', ANIMATED);
        case '/noise':
          return send('text/html', NOISE);
        case '/data':
          return send('text/html', DATA);
        case '/tone':
          return send('text/html', TONE);
        case '/file': {
          const bytes = fileBytes(Number(url.searchParams.get('bytes') ?? '0'));
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-disposition': `attachment; filename="file-${bytes.length}.bin"`,
            'content-length': String(bytes.length),
          });
          return res.end(bytes);
        }
        case '/report':
          site?.record(url.searchParams.get('event') ?? '');
          return send('text/plain', 'ok');
        default:
          res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    site = new TestSite(server);
    return site;
  }

  private get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  url(path = '/page'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private record(event: string): void {
    this.reports.push(event);
    this.waiters.splice(0).forEach((w) => w());
  }

  /** Whether the page reported `event` since the last skipPending(), without waiting. */
  seen(event: string): boolean {
    return this.reports.slice(this.cursor).includes(event);
  }

  /** Forgets everything reported so far. */
  skipPending(): void {
    this.cursor = this.reports.length;
  }

  /** Waits for the page to report `expected` (skipping other reports); fails with what it did report. */
  async waitFor(expected: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const seen: string[] = [];
    for (;;) {
      while (this.cursor < this.reports.length) {
        const r = this.reports[this.cursor++];
        if (r === expected) {
          return;
        }
        seen.push(r);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`the remote page did not report '${expected}' within ${timeoutMs} ms (it reported: ${seen.join(', ') || 'nothing'})`);
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  /** Every report not yet consumed, consuming them. */
  drain(): string[] {
    const rest = this.reports.slice(this.cursor);
    this.cursor = this.reports.length;
    return rest;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
