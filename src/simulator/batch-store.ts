import { BoundedStore } from './simulator-context.js';

/** A file uploaded through OpenAI `POST /v1/files` (batch input) or produced as batch output. */
export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  createdAt: number;
  content: string;
}

/** An OpenAI batch: its wire object (mutated as it progresses) and when it finishes. */
export interface OpenAiBatchEntry {
  batch: Record<string, any>;
  completeAt: number;
}

/** An Anthropic message batch: its wire object, the requests, and results once ended. */
export interface AnthropicBatchEntry {
  batch: Record<string, any>;
  requests: Array<{ custom_id: string; params: Record<string, any> }>;
  completeAt: number;
  results: string | null;
}

const LIMIT = 1000;

/** In-memory files and batches of both providers (bounded; oldest forgotten first). */
export class BatchStore {
  readonly files = new BoundedStore<StoredFile>(LIMIT);
  readonly openAiBatches = new BoundedStore<OpenAiBatchEntry>(LIMIT);
  readonly anthropicBatches = new BoundedStore<AnthropicBatchEntry>(LIMIT);

  /** Forgets everything. */
  clear(): void {
    this.files.clear();
    this.openAiBatches.clear();
    this.anthropicBatches.clear();
  }
}

/** Reads one form field from a multipart/form-data body (text parts only: batch inputs are JSONL). */
export function multipartFields(body: string, contentType: string | undefined): Map<string, { filename: string | null; value: string }> | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (boundary === null) return null;
  const delimiter = '--' + (boundary[1] ?? boundary[2]!).trim();
  const fields = new Map<string, { filename: string | null; value: string }>();
  for (const part of body.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const headers = part.slice(0, headerEnd);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1] ?? null;
    const value = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    fields.set(name, { filename, value });
  }
  return fields;
}
