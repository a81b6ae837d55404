/**
 * Debian's Chromium, driven by playwright-core (browser downloads are not possible
 * here), for the dashboard's page test and its benchmark; and the page-side
 * measurements both make (frame gaps, long tasks, main-thread CPU per task, input → rendered).
 */
import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';

/** Where the browser is: `CHROMIUM_PATH`, or Debian's package. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the browser is installed. */
export const haveChromium = (): boolean => existsSync(CHROMIUM);

/** Starts headless Chromium with nothing that reaches out to the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What {@link recordFrames} saw. */
export interface FrameRecord {
  /** Frames drawn. */
  frames: number;
  /** Longest gap between two animation frames, wall clock, ms: includes time the machine gave to other processes. */
  maxGapMs: number;
  /** Gaps between frames over 100 ms, wall clock. */
  gapsOver100: number;
  /** The most main-thread CPU time the page spent within one gap between frames, ms: what the page itself cost a frame. */
  maxFrameCpuMs: number;
  /** The longest main-thread task, wall clock and CPU, ms. */
  maxTaskMs: number;
  maxTaskCpuMs: number;
}

// Complete events of the trace: ts and dur (wall) and tdur (thread CPU time), µs.
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

const TASK_NAMES = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);

/**
 * Frames and tasks of the page's main thread from a trace: the frames are the
 * page's requestAnimationFrame callbacks (`FireAnimationFrame`), the work is the
 * outermost tasks, whose CPU time is counted into the gap(s) it overlaps.
 */
export function framesFromTrace(trace: Buffer): FrameRecord {
  const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  const mains = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  // The page's renderer: the main thread that drew the most frames.
  const framesBy = new Map<string, number[]>();
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`;
    if (e.ph !== 'X' || e.name !== 'FireAnimationFrame' || !mains.has(thread)) continue;
    if (!framesBy.has(thread)) framesBy.set(thread, []);
    framesBy.get(thread)!.push(e.ts);
  }
  const [thread, frameTimes = []] = [...framesBy].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
  frameTimes.sort((a, b) => a - b);
  const tasks: TraceEvent[] = [];
  let outerEnd = -Infinity;
  for (const e of events
    .filter((e) => e.ph === 'X' && TASK_NAMES.has(e.name) && `${e.pid}:${e.tid}` === thread)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0))) {
    if (e.ts < outerEnd) continue; // inside a task already counted
    tasks.push(e);
    outerEnd = e.ts + (e.dur ?? 0);
  }
  let maxGapMs = 0;
  let gapsOver100 = 0;
  let maxFrameCpuMs = 0;
  let next = 0;
  for (let i = 1; i < frameTimes.length; i += 1) {
    const [from, to] = [frameTimes[i - 1]!, frameTimes[i]!];
    const gapMs = (to - from) / 1000;
    maxGapMs = Math.max(maxGapMs, gapMs);
    if (gapMs > 100) gapsOver100 += 1;
    while (next < tasks.length && tasks[next]!.ts + (tasks[next]!.dur ?? 0) <= from) next += 1;
    let cpu = 0;
    for (let j = next; j < tasks.length && tasks[j]!.ts < to; j += 1) {
      const task = tasks[j]!;
      const dur = Math.max(1, task.dur ?? 0);
      const overlap = Math.min(to, task.ts + dur) - Math.max(from, task.ts);
      cpu += ((task.tdur ?? 0) * Math.max(0, overlap)) / dur;
    }
    maxFrameCpuMs = Math.max(maxFrameCpuMs, cpu / 1000);
  }
  return {
    frames: frameTimes.length,
    maxGapMs,
    gapsOver100,
    maxFrameCpuMs,
    maxTaskMs: Math.max(0, ...tasks.map((t) => (t.dur ?? 0) / 1000)),
    maxTaskCpuMs: Math.max(0, ...tasks.map((t) => (t.tdur ?? 0) / 1000)),
  };
}

/**
 * Starts recording the page's frames (a requestAnimationFrame loop, so every
 * frame shows in the trace) and its main thread's tasks; the returned function
 * stops and reports. Wall-clock gaps include the time a busy machine gave to
 * other processes; the CPU time counted per frame is what the page itself cost.
 */
export async function recordFrames(page: Page): Promise<() => Promise<FrameRecord>> {
  const browser = page.context().browser()!;
  await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline', 'devtools.timeline'] });
  await page.evaluate(`(() => {
    window.__frameLoop = true;
    const frame = () => { if (window.__frameLoop) requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
  })()`);
  return async () => {
    await page.evaluate('window.__frameLoop = false');
    return framesFromTrace(await browser.stopTracing());
  };
}

/**
 * Time from a real (trusted) input event on `selector` to the frame after it
 * was handled, ms: `act` makes the input (fill, selectOption), the page's own
 * listeners run, and the clock stops after the next animation frame's rendering.
 */
export async function inputToRenderedMs(page: Page, selector: string, act: () => Promise<unknown>): Promise<number> {
  await page.evaluate(`(() => {
    const target = document.querySelector(${JSON.stringify(selector)});
    window.__inputTiming = new Promise((resolve) => {
      const started = (event) => {
        target.removeEventListener('input', started, true);
        target.removeEventListener('change', started, true);
        const at = event.timeStamp;
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - at), 0));
      };
      target.addEventListener('input', started, true);
      target.addEventListener('change', started, true);
    });
  })()`);
  await act();
  return page.evaluate<number>('window.__inputTiming');
}
