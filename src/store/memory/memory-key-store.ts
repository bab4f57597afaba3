import type { KeyStore, VirtualKeyRecord } from '../key-store.js';

/** Keys in memory (tests, SDK without a database). */
export class MemoryKeyStore implements KeyStore {
  private readonly byId = new Map<string, VirtualKeyRecord>();

  async create(record: VirtualKeyRecord): Promise<void> {
    if ([...this.byId.values()].some((k) => k.hash === record.hash)) throw new Error('a key with this hash already exists');
    this.byId.set(record.id, { ...record });
  }

  async findByHash(hash: string): Promise<VirtualKeyRecord | null> {
    for (const record of this.byId.values()) if (record.hash === hash) return { ...record };
    return null;
  }

  async revoke(match: { id?: string; hash?: string }, at: number): Promise<VirtualKeyRecord | null> {
    for (const record of this.byId.values()) {
      if ((match.id && record.id === match.id) || (match.hash && record.hash === match.hash)) {
        record.revokedAt ??= at;
        return { ...record };
      }
    }
    return null;
  }

  async list(): Promise<VirtualKeyRecord[]> {
    return [...this.byId.values()].map((r) => ({ ...r })).sort((a, b) => a.createdAt - b.createdAt);
  }

  async updateLimits(id: string, limits: { budgetPico?: number | null; budgetPeriod?: 'day' | 'week' | 'month' | null; rpm?: number | null }): Promise<VirtualKeyRecord | null> {
    const record = this.byId.get(id);
    if (!record) return null;
    if (limits.budgetPico !== undefined) record.budgetPico = limits.budgetPico;
    if (limits.budgetPeriod !== undefined) record.budgetPeriod = limits.budgetPeriod;
    if (limits.rpm !== undefined) record.rpm = limits.rpm;
    return { ...record };
  }

  async hasActiveKeys(): Promise<boolean> {
    for (const record of this.byId.values()) if (record.revokedAt === null) return true;
    return false;
  }
}
