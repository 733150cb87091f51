/**
 * The whole stack for the end-to-end tests, started from the built jars on free ports: a control
 * plane (which launches a runner and a Chromium per session) and an edge serving ui/dist.
 * Vitest's global setup: starts it once, hands its address to the tests, stops it afterwards.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    maxSessions: number;
    /** The API token of the suite's user ("e2e"): the stack runs with token auth, as deployed. */
    apiToken: string;
    /**
     * POST {restartUrl}/edge or /control-plane kills that service (SIGKILL) and starts it again on its
     * ports, after ?downMs= milliseconds (default 0); it answers once the new process is started.
     */
    restartUrl: string;
  }
}

export const REPO = resolve(import.meta.dirname, '../..');
export const ARTIFACTS = join(import.meta.dirname, 'artifacts');
/** One live session at a time: enough for every test, and it lets a test hit the limit cheaply. */
const MAX_SESSIONS = 1;

const JARS = {
  controlPlane: join(REPO, 'control-plane/target/control-plane.jar'),
  edge: join(REPO, 'edge/target/edge.jar'),
  runner: join(REPO, 'runner/target/runner.jar'),
};
const UI_DIR = join(REPO, 'ui/dist');

/** A running stack: where it answers, the user's API token, the restart hook, and how to stop it. */
export interface RunningStack {
  baseUrl: string;
  apiToken: string;
  restartUrl: string;
  /** The control plane's log and the edge's, interleaved. */
  logPath: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  maxSessions: number;
  /** Added to (or replacing) the control plane's environment, e.g. WARM_POOL_SIZE. */
  controlPlaneEnv?: Record<string, string>;
  /** The log's file name in the artifacts folder. */
  logName?: string;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startStack({ maxSessions: MAX_SESSIONS });
  project.provide('baseUrl', stack.baseUrl);
  project.provide('maxSessions', MAX_SESSIONS);
  project.provide('apiToken', stack.apiToken);
  project.provide('restartUrl', stack.restartUrl);
  return stack.stop;
}

/** Starts a control plane and an edge from the jars on free ports, and waits until the edge is ready. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  for (const [name, jar] of Object.entries(JARS)) {
    if (!existsSync(jar)) {
      throw new Error(`${name} jar missing at ${jar}: build first (make build)`);
    }
  }
  if (!existsSync(join(UI_DIR, 'index.html'))) {
    throw new Error(`the UI is not built (${UI_DIR}/index.html missing): run make ui`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const java = join(javaHome(), 'bin/java');
  const grpcPort = await freePort();
  const apiPort = await freePort();
  // The control plane's API token, shared by the two services for this run only.
  const token = randomBytes(32).toString('base64url');
  const signingKey = randomBytes(48).toString('base64url');
  const apiToken = randomBytes(24).toString('base64url');
  const httpPort = await freePort();
  const logPath = join(ARTIFACTS, options.logName ?? 'stack.log');
  const log = createWriteStream(logPath);

  const processes: ChildProcess[] = [];
  const start = (name: string, jar: string, env: Record<string, string>) => {
    const child = spawn(java, ['--enable-native-access=ALL-UNNAMED', '-jar', jar], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.on('exit', (code, signal) => log.write(`--- ${name} exited (${signal ?? code})\n`));
    processes.push(child);
    return child;
  };
  // If the test run dies without teardown, the services must not outlive it.
  const killAll = () => processes.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  process.on('exit', killAll);

  const services: Record<string, () => ChildProcess> = {
    'control-plane': () =>
      start('control plane', JARS.controlPlane, {
        GRPC_PORT: String(grpcPort),
        API_GRPC_PORT: String(apiPort),
        CONTROL_PLANE_TOKEN: token,
        // Kept for the whole run: a restarted control plane takes the sessions back from their runners.
        CONTROL_PLANE_SIGNING_KEY: signingKey,
        RUNNER_RECONNECT_WINDOW: '30s',
        METRICS_PORT: '0',
        RUNNER_JAR: JARS.runner,
        MAX_SESSIONS: String(options.maxSessions),
        FALLBACK_FPS: '10',
        // The test page is served on 127.0.0.1, which the egress policy denies by default.
        EGRESS_ALLOW_PRIVATE: 'true',
        ...options.controlPlaneEnv,
      }),
    edge: () =>
      start('edge', JARS.edge, {
        PORT: String(httpPort),
        CONTROL_PLANE_ADDR: `localhost:${apiPort}`,
        CONTROL_PLANE_TOKEN: token,
        UI_DIR,
        AUTH_MODE: 'token',
        API_TOKENS: `e2e:${apiToken}`,
        ADMIN_TOKENS: '',
      }),
  };
  const running: Record<string, ChildProcess> = {};
  for (const [name, launch] of Object.entries(services)) {
    running[name] = launch();
  }
  const baseUrl = `http://localhost:${httpPort}`;
  try {
    await waitUntilReady(baseUrl, processes, 60_000);
  } catch (e) {
    await stop(processes);
    throw new Error(`${(e as Error).message}\n--- stack log (${logPath}):\n${tail(logPath)}`);
  }

  // Restarts on request, as a crash and a supervisor would: SIGKILL, then the same service on the same ports.
  const restarts = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const name = url.pathname.replace(/^\//, '');
    const downMs = Math.min(Number(url.searchParams.get('downMs') ?? '0') || 0, 30_000);
    const launch = services[name];
    if (req.method !== 'POST' || !launch) {
      res.writeHead(404).end();
      return;
    }
    const old = running[name];
    old.once('exit', () => {
      setTimeout(() => {
        log.write(`--- restarting ${name} (down ${downMs} ms)\n`);
        running[name] = launch();
        res.writeHead(204).end();
      }, downMs);
    });
    old.kill('SIGKILL');
  });
  const restartPort = await new Promise<number>((done) =>
    restarts.listen(0, '127.0.0.1', () => done((restarts.address() as { port: number }).port)),
  );
  return {
    baseUrl,
    apiToken,
    restartUrl: `http://127.0.0.1:${restartPort}`,
    logPath,
    stop: async () => {
      restarts.close();
      // SIGTERM means "restart" to the control plane: end the sessions first, so no runner waits for it.
      await endSessions(baseUrl, apiToken);
      await stop(processes);
      process.off('exit', killAll);
      log.end();
    },
  };
}

function javaHome(): string {
  try {
    return execFileSync(join(REPO, 'scripts/java-home.sh'), { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no JDK 21+ found (scripts/java-home.sh): install one or set JAVA_HOME');
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilReady(baseUrl: string, processes: ChildProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.exitCode !== null);
    if (dead) {
      throw new Error(`a service exited during start-up (${dead.spawnargs.at(-1)})`);
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the stack was not ready within ${timeoutMs} ms`);
}

/** Ends every live session (their runners and Chromium go with them), waiting up to 15 s. */
async function endSessions(baseUrl: string, apiToken: string): Promise<void> {
  const headers = { authorization: `Bearer ${apiToken}` };
  try {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const { sessions } = (await (await fetch(`${baseUrl}/api/sessions`, { headers })).json()) as {
        sessions: { sessionId: string; status: string }[];
      };
      const live = sessions.filter((s) => s.status === 'pending' || s.status === 'ready');
      if (live.length === 0) {
        return;
      }
      for (const s of live) {
        await fetch(`${baseUrl}/api/sessions/${s.sessionId}`, { method: 'DELETE', headers });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch {
    // the edge is gone: its control plane's runners end by themselves after their reconnect window
  }
}

/** SIGTERM (a restart for the control plane: its sessions were ended first), SIGKILL after 15 s. */
async function stop(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    [...processes].reverse().map(
      (p) =>
        new Promise<void>((done) => {
          if (p.exitCode !== null || p.signalCode !== null) {
            done();
            return;
          }
          const force = setTimeout(() => p.kill('SIGKILL'), 15_000);
          p.once('exit', () => {
            clearTimeout(force);
            done();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}
