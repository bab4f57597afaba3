import { readFileSync, existsSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import type { z } from 'zod';
import { configSchema, type TokenmeterConfig } from './config-schema.js';

/** A configuration problem, with the file position of the offending key when known. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Command-line and environment values that override the file. */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  db?: string;
  databaseUrl?: string;
  openaiUrl?: string;
  anthropicUrl?: string;
  redisUrl?: string;
}

/**
 * Loads tokenmeter.yaml (if given, or present in the working directory unless `file` is null), applies environment and
 * command-line overrides, validates everything once and returns a deep-frozen config.
 * Errors name the key and, for file values, the line and column.
 */
export function loadConfig(file: string | null | undefined, overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): TokenmeterConfig {
  const path = file === null ? undefined : file ?? (existsSync('tokenmeter.yaml') ? 'tokenmeter.yaml' : undefined);
  let raw: Record<string, any> = {};
  let locate: (path: PropertyKey[]) => string = () => '';
  if (path) {
    if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
    const text = readFileSync(path, 'utf8');
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      const pos = first.linePos?.[0];
      throw new ConfigError(`${path}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`);
    }
    raw = (doc.toJS() as Record<string, any> | null) ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: expected a mapping at the top level`);
    locate = (keyPath) => {
      // Point at the key itself when the mapping has it (an unknown key, a bad value).
      if (keyPath.length > 0) {
        const parent = doc.getIn(keyPath.slice(0, -1) as unknown[], true);
        const last = String(keyPath[keyPath.length - 1]);
        if (isMap(parent)) {
          const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === last);
          if (pair && isNode(pair.key) && pair.key.range) {
            const { line, col } = lineCounter.linePos(pair.key.range[0]);
            return `${path}:${line}:${col}: `;
          }
        }
      }
      // Otherwise walk up until a node exists (a missing value's mapping).
      for (let depth = keyPath.length; depth >= 0; depth--) {
        const node = doc.getIn(keyPath.slice(0, depth) as unknown[], true);
        if (isNode(node) && node.range) {
          const { line, col } = lineCounter.linePos(node.range[0]);
          return `${path}:${line}:${col}: `;
        }
      }
      return `${path}: `;
    };
  }
  applyOverrides(raw, overrides, env);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, locate));
  return deepFreeze(parsed.data);
}

function applyOverrides(raw: Record<string, any>, overrides: ConfigOverrides, env: NodeJS.ProcessEnv): void {
  const section = (name: string) => (raw[name] ??= {});
  const port = overrides.port ?? (env.TOKENMETER_PORT ? Number(env.TOKENMETER_PORT) : undefined);
  if (overrides.host) section('server').host = overrides.host;
  if (port !== undefined) section('server').port = port;
  const db = overrides.db ?? env.TOKENMETER_DB;
  const databaseUrl = overrides.databaseUrl ?? env.TOKENMETER_DATABASE_URL;
  if (databaseUrl) Object.assign(section('store'), { kind: 'postgres', url: databaseUrl });
  else if (db) Object.assign(section('store'), { kind: 'sqlite', path: db });
  const redisUrl = overrides.redisUrl ?? env.TOKENMETER_REDIS_URL;
  if (redisUrl) section('counters').redisUrl = redisUrl;
  const providers = section('providers');
  if (overrides.openaiUrl) (providers.openai ??= {}).baseUrl = overrides.openaiUrl;
  if (overrides.anthropicUrl) (providers.anthropic ??= {}).baseUrl = overrides.anthropicUrl;
}

function formatIssues(issues: z.core.$ZodIssue[], locate: (path: PropertyKey[]) => string): string {
  const lines = issues.map((issue) => {
    let keyPath = issue.path;
    let detail = issue.message;
    if (issue.code === 'unrecognized_keys') {
      keyPath = [...issue.path, issue.keys[0]!];
      detail = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const name = keyPath.map(String).join('.') || '(root)';
    return `${locate(keyPath)}${name}: ${detail}`;
  });
  return `invalid configuration:\n  ${lines.join('\n  ')}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as any)[key]);
    Object.freeze(value);
  }
  return value;
}
