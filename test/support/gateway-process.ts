import { spawn, type ChildProcess } from 'node:child_process';

/** A gateway started with the real CLI in its own process. */
export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM and wait for exit; resolves the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns `tokenmeter start` with the given arguments and waits for its listening line. */
export async function spawnGateway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TOKENMETER_LOG: 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /tokenmeter listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`gateway exited early (${code}): ${stderr}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
