/** Minimal leveled logger: JSON lines on stderr. Never pass secrets in fields. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = { silent: 0, error: 1, warn: 2, info: 3 } as const;
type Level = keyof typeof LEVELS;

/** A logger honouring TOKENMETER_LOG (silent|error|warn|info; default info). */
export function createLogger(level: string | undefined = process.env.TOKENMETER_LOG): Logger {
  const threshold = LEVELS[(level as Level) in LEVELS ? (level as Level) : 'info'];
  const write = (lvl: Exclude<Level, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] > threshold) return;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...fields }) + '\n');
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
