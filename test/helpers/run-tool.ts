import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** What an operator command printed and how it exited. */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tools/<script>` as an operator would (a child process with its own environment) and returns its exit code and output. */
export async function runTool(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ToolRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [`tools/${script}`, ...args], {
      cwd: new URL('../../', import.meta.url),
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
