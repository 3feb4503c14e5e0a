/**
 * Runs an external-command transform: argv plus `--input PATH`… `--output DIR` `--params JSON`, cwd = the project
 * dir, the same facts in `REFLOW_*` variables. It gets its own process group (`detached`) so a timeout, a cancel or
 * a shutdown stops the whole tree (a shell script and the python it started), not just the first process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { BoundedLog } from './bounded-log.js';

export interface CommandSpec {
  argv: string[];
  projectDir: string;
  inputs: string[];
  outputDir: string;
  params: Record<string, unknown>;
  jobId: string;
  attempt: number;
  env?: Record<string, string>;
}

export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: Error;
}

export interface RunningCommand {
  readonly pid: number | undefined;
  readonly exited: Promise<CommandExit>;
  /** Signals the command's whole process group. */
  kill(signal: NodeJS.Signals): void;
}

export function commandArgs(spec: Pick<CommandSpec, 'inputs' | 'outputDir' | 'params'>): string[] {
  const args: string[] = [];
  for (const input of spec.inputs) args.push('--input', input);
  args.push('--output', spec.outputDir, '--params', JSON.stringify(spec.params));
  return args;
}

export function startCommand(spec: CommandSpec, log: BoundedLog): RunningCommand {
  const [file, ...rest] = spec.argv;
  let child: ChildProcess;
  const env = {
    ...process.env,
    ...spec.env,
    REFLOW_INPUTS: JSON.stringify(spec.inputs),
    REFLOW_OUTPUT_DIR: spec.outputDir,
    REFLOW_PARAMS: JSON.stringify(spec.params),
    REFLOW_JOB_ID: spec.jobId,
    REFLOW_ATTEMPT: String(spec.attempt),
  };
  child = spawn(file!, [...rest, ...commandArgs(spec)], { cwd: spec.projectDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => log.append(decoder.write(chunk)));
    stream.on('end', () => log.append(decoder.end()));
  }
  const exited = new Promise<CommandExit>((resolve) => {
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
      // 'close' follows an error from spawn; resolve here too in case it does not.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError });
    });
    // 'close' waits for stdout/stderr to end, so the log is complete when it resolves; a background process that
    // keeps the pipes open must not hold the job, so 'exit' resolves too after a moment.
    const settle = (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal, ...(spawnError ? { spawnError } : {}) });
    let late: NodeJS.Timeout | undefined;
    child.once('close', (code, signal) => {
      clearTimeout(late);
      settle(code, signal);
    });
    child.once('exit', (code, signal) => (late = setTimeout(() => settle(code, signal), 1000)));
  });
  return {
    get pid() {
      return child.pid;
    },
    exited,
    kill(signal) {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    },
  };
}
