/**
 * The look of `check`, in a child process of the command (runCheckIsolated in cli/check.ts), with the
 * command's argv and environment. Once it listens it says so; the parent sends the deadline; the tree
 * is rendered here and sent back over IPC, and the parent prints it and exits.
 */
import { runCheck } from './check-look.js';
import { childScanTimeoutMs, type ChildAnswer, type ChildStart } from './cli/check.js';
import { parseFlags } from './config/flags.js';

const parsed = parseFlags(process.argv.slice(2), process.env);
if (parsed.kind !== 'check') throw new Error('check-child: started without the check command');
const config = parsed.config;
process.once('message', (start: ChildStart) => {
  void (async () => {
    let output = '';
    let threadBlocked = false;
    const exitCode = await runCheck(
      config,
      { stdout: (t) => (output += t), stderr: (t) => process.stderr.write(t) },
      { scanTimeoutMs: childScanTimeoutMs(start.deadlineAtMs, Date.now()), onClosed: (b) => (threadBlocked = b) },
    );
    const answer: ChildAnswer = { exitCode, output, threadBlocked };
    process.send?.(answer, () => process.disconnect());
  })();
});
process.send?.({ ready: true });
