// Load for bench/instructions.sh: N POSTs of a body over keep-alive, C in flight.  node instructions-client.mjs URL BODY N C
import { readFileSync } from 'node:fs';
import http from 'node:http';
const [url, file, count, inFlight = '16'] = process.argv.slice(2);
const body = readFileSync(file);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(inFlight) });
const target = new URL(url);
const headers = {
  'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer sk-bench',
  'x-tokenmeter-feature': 'bench', 'x-tokenmeter-tenant': 't1',
};
let left = Number(count);
let failed = 0;
const one = () => new Promise((resolve, reject) => {
  const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers }, (response) => {
    if (response.statusCode !== 200) failed++;
    response.resume();
    response.on('end', resolve);
  });
  request.on('error', reject);
  request.end(body);
});
await Promise.all(Array.from({ length: Number(inFlight) }, async () => { while (left-- > 0) await one(); }));
agent.destroy();
if (failed > 0) { console.error(`${failed} requests failed`); process.exit(1); }
