import { loadPriceCatalog } from '../config/load-prices.js';
import type { Ledger } from '../store/ledger.js';
import { GatewaySink } from './gateway-sink.js';
import { LedgerSink } from './ledger-sink.js';
import { MeterImpl } from './meter.js';
import type { MeterSink } from './meter-sink.js';
import type { Meter, MeterOptions } from './meter-types.js';
import { RetryLinker } from './retry-linker.js';

/**
 * Creates an in-process meter. `{ db }` (or nothing) writes to an embedded SQLite ledger (default
 * ./.tokenmeter/tokenmeter.db, or $TOKENMETER_DB); `{ gatewayUrl, apiKey? }` ships events to a tokenmeter
 * gateway's ingest API; `{ ledger }` writes to a Ledger you opened (and close). Always `await meter.close()`.
 */
export function createMeter(options: MeterOptions = {}): Meter {
  const sink = createSink(options);
  return new MeterImpl({ sink, linker: new RetryLinker(), calls: 0 }, options.attribution ?? {});
}

function createSink(options: MeterOptions): MeterSink {
  if ('gatewayUrl' in options && options.gatewayUrl) {
    if (!/^https?:\/\//i.test(options.gatewayUrl)) {
      throw new TypeError(`createMeter: gatewayUrl must be an http(s) URL, got "${options.gatewayUrl}"`);
    }
    return new GatewaySink({
      url: options.gatewayUrl,
      apiKey: options.apiKey,
      fetch: options.fetch,
      maxBatch: options.maxBatch,
      flushIntervalMs: options.flushIntervalMs,
      maxQueue: options.maxQueue,
      onError: options.onError,
    });
  }
  const catalog = loadPriceCatalog(options.priceOverrides ?? []);
  const tuning = { maxBatch: options.maxBatch, flushIntervalMs: options.flushIntervalMs, onError: options.onError };
  if ('ledger' in options && options.ledger) {
    return new LedgerSink(Promise.resolve(options.ledger), catalog, { ...tuning, ownsLedger: false });
  }
  const db = 'db' in options ? options.db : undefined;
  // Loaded on demand: a gateway-target meter never loads the SQLite driver.
  const open: Promise<Ledger> = import('../store/open-ledger.js').then(({ openLedger }) => openLedger({ db }));
  return new LedgerSink(open, catalog, { ...tuning, ownsLedger: true });
}
