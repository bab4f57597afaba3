import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PriceCatalog, parsePriceCatalogDocument } from '../core/price-catalog.js';
import type { PriceRowData } from '../core/price-types.js';

/** prices/catalog.json of this package (dist/src/config -> package root). */
export const CATALOG_PATH = fileURLToPath(new URL('../../../prices/catalog.json', import.meta.url));

/** Reads the bundled price catalog and applies operator overrides from config. */
export function loadPriceCatalog(overrides: readonly PriceRowData[] = [], path = CATALOG_PATH): PriceCatalog {
  const document = parsePriceCatalogDocument(JSON.parse(readFileSync(path, 'utf8')), path);
  return new PriceCatalog(document.rows, overrides);
}
