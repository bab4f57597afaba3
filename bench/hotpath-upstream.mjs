// Child process for hotpath-bench.mjs: a minimal OpenAI-shaped upstream on a free port (reports it over IPC).
import http from 'node:http';

const answer = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 0, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The shipment is held by customs. '.repeat(10) }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1303, completion_tokens: 64, total_tokens: 1367, prompt_tokens_details: { cached_tokens: 0 } },
}));
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length, 'x-request-id': 'req_bench' });
    res.end(answer);
  });
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
