/**
 * Headless Chromium (Debian's `chromium` package) for the status-page tests: a screenshot, or the DOM
 * after the page's own scripts ran for a while. Each run gets a fresh profile directory and its own
 * process group, killed as a whole if it outlives its deadline.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser'];
const PATH_DIRS = ['/usr/bin', '/usr/local/bin', '/bin', '/snap/bin'];

function findChromium(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...PATH_DIRS]) {
    if (!dir) continue;
    for (const name of CANDIDATES) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        /* next */
      }
    }
  }
  return null;
}

/**
 * For a test's Chromium part: false when Chromium is there; otherwise the reason to skip, except
 * under CI=true, where a missing browser is a failure (.ci/run installs `chromium`).
 */
export function skipUnlessChromium(): string | false {
  if (findChromium()) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but chromium is not installed (apt-get install chromium)');
  return 'chromium not installed (apt-get install chromium)';
}

/** Flags for a root, offline, throwaway headless browser. */
const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
];

export interface ChromiumRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runChromium(args: readonly string[], timeoutMs = 60_000): Promise<ChromiumRun> {
  const exe = findChromium();
  if (!exe) throw new Error('chromium not installed');
  const profile = mkdtempSync('/tmp/chromium-profile.');
  try {
    return await new Promise<ChromiumRun>((resolve, reject) => {
      const child = spawn(exe, [...BASE_FLAGS, `--user-data-dir=${profile}`, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: the renderer and GPU helpers go with it on a timeout
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export async function screenshot(url: string, file: string, size = '1200,900'): Promise<ChromiumRun> {
  return runChromium([`--screenshot=${file}`, `--window-size=${size}`, url]);
}

/** The DOM after the page's scripts ran for `virtualMs` of virtual time (timers fire, fetches complete). */
export async function dumpDom(url: string, virtualMs: number): Promise<string> {
  const res = await runChromium([`--virtual-time-budget=${virtualMs}`, '--dump-dom', url]);
  if (res.code !== 0) throw new Error(`chromium --dump-dom exited ${res.code}: ${res.stderr.slice(-2000)}`);
  return res.stdout;
}
