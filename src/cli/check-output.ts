/**
 * `check`'s output, rendering only (what it says comes from src/report). Text: a monitoring-plugins
 * first line (`DOCKER ENGINE <STATUS> - <summary> | perfdata`) and then the tree, indented; JSON: the
 * tree itself. Every string that may come from a command line or a daemon goes through `clean`, so no
 * process can write escape sequences to the terminal.
 */
import { oneLine } from '../one-line.js';
import { formatPercent } from '../report/headroom-report.js';
import { formatAge, formatLatency, mainProcessText, proxyAddress, unusualProcessState } from '../report/format.js';
import {
  countChildren,
  runningProxies,
  type ChildNode,
  type DaemonNode,
  type EngineTree,
  type KernelCauseSummary,
  type ProxyNode,
  type ShimNode,
} from '../report/tree-nodes.js';

/**
 * node-problem-detector's custom-plugin protocol (pkg/custompluginmonitor/types/types.go: OK 0,
 * NonOK 1, Unknown 2; plugin/plugin.go keeps trimmed stdout, cut at max_output_length bytes, 80 by
 * default): a problem is CRITICAL, or with `npd-warning` WARNING too.
 */
export const NPD_MAX_OUTPUT_BYTES = 80;

export function npdExitCode(tree: EngineTree, level: 'npd' | 'npd-warning'): 0 | 1 | 2 {
  if (tree.status === 'UNKNOWN') return 2;
  if (tree.status === 'CRITICAL' || (tree.status === 'WARNING' && level === 'npd-warning')) return 1;
  return 0;
}

/**
 * One line of printable ASCII within NPD's 80 bytes (NPD cuts bytes, which could split a UTF-8
 * character): the status and the summary, shortened with "..." rather than cut blind.
 */
export function renderNpd(tree: EngineTree): string {
  const text = `${tree.status}: ${tree.summary}`.replace(/[^\x20-\x7e]/g, '?');
  const line = text.length <= NPD_MAX_OUTPUT_BYTES ? text : `${text.slice(0, NPD_MAX_OUTPUT_BYTES - 3)}...`;
  return line + '\n';
}

export function renderTreeJson(tree: EngineTree): string {
  return JSON.stringify(tree, null, 2) + '\n';
}

export function renderTreeText(tree: EngineTree): string {
  // A '|' in the summary would end the plugin's text part and start its performance data.
  const lines: string[] = [`DOCKER ENGINE ${tree.status} - ${clean(tree.summary).replace(/\|/g, '/')}${perfData(tree)}`];
  const { dockerd, containerd } = tree;
  /** One node and its children, drawn with box-drawing branches under `prefix`. */
  const branch = (prefix: string, last: boolean, text: string): string => `${prefix}${last ? '└── ' : '├── '}${text}`;
  const shimLines = (prefix: string, shims: readonly ShimNode[]): void => {
    shims.forEach((shim, i) => {
      const lastShim = i === shims.length - 1;
      lines.push(branch(prefix, lastShim, shimLine(shim)));
      const inner = prefix + (lastShim ? '    ' : '│   ');
      shim.children.forEach((c, j) => lines.push(branch(inner, j === shim.children.length - 1, childLine(c))));
    });
  };
  if (containerd !== null) {
    const containerdName = `containerd (${containerd.mode})`;
    if (dockerd !== null) {
      lines.push(daemonLine(dockerd, 'dockerd'));
      for (const proxy of dockerd.proxies) lines.push(branch('', false, proxyLine(proxy)));
      lines.push(branch('', true, daemonLine(containerd, containerdName)));
      shimLines('    ', containerd.shims);
    } else {
      lines.push(daemonLine(containerd, containerdName));
      shimLines('', containerd.shims);
    }
  }
  for (const z of tree.zombies) lines.push(`zombie ${clean(z.component)}  pid ${z.pid}  parent ${z.ppid}`);
  if (tree.checks !== null) {
    const c = tree.checks;
    lines.push(
      `checks: orphan shims ${c.orphanShims ?? 'unknown'}, stuck runc ${c.stuckRunc}, missing proxies ${c.missingProxies ?? 'unknown'}, zombies ${c.zombies}`,
    );
  }
  if (tree.headroom !== null) {
    const h = tree.headroom;
    const rows = h.rows.map((r) => `${r.what} ${formatPercent(r.ratio)}${r.level === 'ok' ? '' : ` ${r.level.toUpperCase()}`}`);
    const stuck = Object.entries(h.uninterruptibleThreads).map(([c, n]) => `${c} ${n}`);
    lines.push(`headroom (used of limit): ${rows.length > 0 ? rows.join(', ') : 'nothing read'}`);
    lines.push(`threads in D: ${stuck.length > 0 ? stuck.join(', ') : 'unknown'}`);
  }
  const sweep = tree.sweep;
  if (sweep && sweep.atMs !== null) {
    const n = (list: readonly string[] | null): string => (list === null ? 'unknown' : String(list.length));
    lines.push(
      `sweep: ${sweep.containers} containers, unresponsive containers ${n(sweep.unresponsiveContainers)}, unresponsive shims ${n(sweep.unresponsiveShims)}, childless shims ${n(sweep.childlessShims)}`,
    );
  }
  for (const reason of tree.reasons) lines.push(`${tree.status === 'OK' ? 'note' : tree.status.toLowerCase()}: ${clean(reason)}`);
  return lines.join('\n') + '\n';
}

function daemonLine(node: DaemonNode, name: string): string {
  const parts = [name, node.state.toUpperCase()];
  if (node.pid !== null) parts.push(`pid ${node.pid}`);
  if (node.uptimeSeconds !== null) parts.push(`uptime ${formatAge(node.uptimeSeconds)}`);
  parts.push(`restarts ${node.restarts}`);
  if (node.probe !== null) {
    parts.push(
      `${node.probe.probe} ${node.probe.success ? formatLatency(node.probe.latencySeconds) : `failed after ${formatLatency(node.probe.latencySeconds)}`}`,
    );
  }
  if (node.version !== null) parts.push(`v${clean(node.version)}`);
  if (node.kernelCause) parts.push(`kernel: ${causeText(node.kernelCause)}`);
  if (node.detail !== null) parts.push(`(${clean(node.detail)})`);
  return parts.join('  ');
}

function causeText(c: KernelCauseSummary): string {
  return `${c.cause === 'oom' ? 'OOM kill' : 'hung task'} of ${c.current ? '' : 'previous '}pid ${c.pid}`;
}

function shimLine(shim: ShimNode): string {
  const parts = [
    `shim ${clean(shim.containerId ?? '?')}${shim.containerName ? ` ${clean(shim.containerName)}` : ''}${shim.namespace ? ` [${clean(shim.namespace)}]` : ''}`,
    shim.state.toUpperCase(),
    `pid ${shim.pid}`,
  ];
  if (shim.uptimeSeconds !== null) parts.push(`uptime ${formatAge(shim.uptimeSeconds)}`);
  const main = mainProcessText(shim);
  if (main !== null) parts.push(`main ${clean(main)}`);
  if (shim.orphan === true) parts.push('ORPHAN (no containerd task)');
  return parts.join('  ');
}

function childLine(c: ChildNode): string {
  const parts = [c.component, c.state.toUpperCase(), `pid ${c.pid}`];
  if (c.uptimeSeconds !== null) parts.push(`uptime ${formatAge(c.uptimeSeconds)}`);
  const processState = unusualProcessState(c);
  if (processState !== null) parts.push(`state ${clean(processState)}`);
  if (c.stuck) parts.push('STUCK');
  return parts.join('  ');
}

function proxyLine(p: ProxyNode): string {
  const parts = [`docker-proxy ${clean(proxyAddress(p))}`, p.state === 'down' ? 'MISSING' : 'UP'];
  if (p.pid !== null) parts.push(`pid ${p.pid}`);
  if (p.uptimeSeconds !== null) parts.push(`uptime ${formatAge(p.uptimeSeconds)}`);
  return parts.join('  ');
}

/** Performance data in the plugin format: 'label'=value[UOM];warn;crit;min;max. */
function perfData(tree: EngineTree): string {
  const items: string[] = [];
  for (const node of [tree.dockerd, tree.containerd]) {
    if (node?.probe) items.push(`${node.probe.probe}=${node.probe.latencySeconds.toFixed(6)}s;;;0`);
  }
  if (tree.containerd) {
    items.push(`shims=${tree.containerd.shims.length};;;0`);
    items.push(`runc=${countChildren(tree.containerd, 'runc')};;;0`);
  }
  if (tree.dockerd) items.push(`proxies=${runningProxies(tree.dockerd)};;;0`);
  for (const node of [tree.dockerd, tree.containerd]) if (node) items.push(`${node.component}_restarts=${node.restarts}c;;;0`);
  return items.length > 0 ? ` | ${items.join(' ')}` : '';
}

/** Each control character becomes '?': short, and the plugin line stays one line. */
function clean(s: string): string {
  return oneLine(s, 'question-mark');
}
