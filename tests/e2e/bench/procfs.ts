/** What the benches read from /proc: process trees, CPU time and memory, for any process on this machine. */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A /proc file's text, or '' once its process is gone. */
export function read(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** Every process's children, from one pass over /proc. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  return children;
}

/** The process and all its descendants. */
export function treeOf(root: number): number[] {
  const children = childrenByParent();
  const tree: number[] = [];
  for (const queue = [root]; queue.length; ) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** User plus system CPU time of a process so far, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

/** Proportional set size (shared pages split between the processes sharing them), in KiB. */
export function pssKb(pid: number): number {
  return Number(/Pss:\s+(\d+)/.exec(read(`/proc/${pid}/smaps_rollup`))?.[1] ?? 0);
}

/** Resident set size, in KiB. */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(read(`/proc/${pid}/status`))?.[1] ?? 0);
}

/** A process's command line, one argument per element. */
export function commandLine(pid: number): string[] {
  return read(`/proc/${pid}/cmdline`).split('\0').filter((a) => a.length > 0);
}

/** The runner processes of a session: a runner.jar JVM whose environment names the session. */
export function runnerPidsOf(sessionId: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && read(`/proc/${entry}/environ`).includes(`SESSION_ID=${sessionId}\0`))
    .map(Number)
    .filter((pid) => commandLine(pid).some((a) => a.endsWith('runner.jar')));
}
