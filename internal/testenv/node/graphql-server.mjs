// Serves examples/catalog/schema.graphql with graphql-yoga 5 (HTTP, with
// automatic persisted queries) and graphql-ws 6 (subscriptions over
// graphql-transport-ws), pinned in package.json, for the tests of the
// GraphQL client. What the tests need beyond the schema:
//
//   - bearer tokens "tok.<expires-ms>.<n>.<hmac>" signed with --secret;
//     an HTTP request with a bad or expired token gets 401 (or, with
//     --auth-errors-as-200, a 200 whose error code is UNAUTHENTICATED), and
//     a connection_init whose payload's Authorization is bad closes 4403;
//     without --secret there is no auth;
//   - POST /_fault {"operation": "X", "status": 503, "count": n}: the next
//     n requests of operation X get that status ("rate-limit-200" answers
//     a 200 with a RATE_LIMITED error instead);
//   - GET /_log: every request and WebSocket event, in order, as JSON;
//   - product "p-partial" has a rating that fails (partial data), and
//     product "p-boom" fails with an error carrying extensions.
//
// Usage: node graphql-server.mjs --port N --schema FILE [--secret S] [--auth-errors-as-200]
// It listens on 127.0.0.1 and prints "listening on <url>" when ready.
import http from 'node:http';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createYoga, createSchema, createPubSub } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { useAPQ } from '@graphql-yoga/plugin-apq';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';

const args = { port: 0, schema: '', secret: '', authErrorsAs200: false };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i];
  switch (k) {
    case '--port': args.port = Number(process.argv[++i]); break;
    case '--schema': args.schema = process.argv[++i]; break;
    case '--secret': args.secret = process.argv[++i]; break;
    case '--auth-errors-as-200': args.authErrorsAs200 = true; break;
    default: throw new Error(`unknown argument ${k}`);
  }
}
if (!args.port || !args.schema) throw new Error('--port and --schema are required');

const serverID = randomUUID();
const log = [];
const record = (e) => { log.push({ ...e, at: Date.now() }); console.log(JSON.stringify({ log: e })); };

// checkToken returns "" for a good token, else why it is not.
function checkToken(auth) {
  if (!args.secret) return '';
  const m = /^Bearer (tok\.(\d+)\.(\d+))\.([0-9a-f]{64})$/.exec(auth || '');
  if (!m) return 'malformed';
  const want = createHmac('sha256', args.secret).update(m[1]).digest();
  if (!timingSafeEqual(want, Buffer.from(m[4], 'hex'))) return 'bad signature';
  if (Number(m[2]) <= Date.now()) return 'expired';
  return '';
}

const products = [];
const cats = ['books', 'games', 'tools'];
for (let i = 1; i <= 10; i++) {
  products.push({ id: `p${i}`, sku: `SKU-${String(i).padStart(3, '0')}`, name: `Product ${i}`, price: 100 * i, category: cats[i % 3], rating: i / 2 });
}
products.push({ id: 'p-partial', sku: 'SKU-900', name: 'Partial', price: 1, category: 'zz-special', rating: null });
products.push({ id: 'p-boom', sku: 'SKU-901', name: 'Boom', price: 1, category: 'zz-special', rating: 1 });
const pubsub = createPubSub();
let seq = 0;

const encode = (i) => Buffer.from(`cursor:${i}`).toString('base64');
const decode = (c) => Number(Buffer.from(c, 'base64').toString().slice(7));

const resolvers = {
  Query: {
    product: (_, { id }) => {
      if (id === 'p-boom') {
        throw new GraphQLError('the product store failed', { extensions: { code: 'STORE_FAILED', retryable: false, shard: 7 } });
      }
      return products.find((p) => p.id === id) ?? null;
    },
    products: (_, { first, after, category }) => {
      const list = products.filter((p) => !category || p.category === category).sort((a, b) => a.sku.localeCompare(b.sku));
      const start = after ? decode(after) + 1 : 0;
      const n = first ?? 10;
      const page = list.slice(start, start + n);
      return {
        totalCount: list.length,
        edges: page.map((p, i) => ({ cursor: encode(start + i), node: p })),
        pageInfo: { hasNextPage: start + n < list.length, endCursor: page.length ? encode(start + page.length - 1) : null },
      };
    },
  },
  Product: {
    rating: (p) => {
      if (p.rating === null) throw new GraphQLError('ratings are unavailable', { extensions: { code: 'RATINGS_DOWN' } });
      return p.rating;
    },
  },
  Mutation: {
    createProduct: (_, { input }) => {
      if (products.some((p) => p.sku === input.sku)) {
        throw new GraphQLError(`SKU ${input.sku} exists`, { extensions: { code: 'CONFLICT' } });
      }
      const p = { id: `p${products.length + 1}`, rating: 4, ...input };
      products.push(p);
      pubsub.publish('events', { type: 'created', product: p, seq: ++seq, server: serverID });
      return p;
    },
  },
  Subscription: {
    productEvents: {
      subscribe: async function* (_, { category, everyMs }) {
        const it = pubsub.subscribe('events');
        let timer;
        if (everyMs) {
          timer = setInterval(() => pubsub.publish('events', { type: 'updated', product: products[0], seq: ++seq, server: serverID }), everyMs);
        }
        try {
          for await (const ev of it) {
            if (!category || ev.product.category === category) yield { productEvents: ev };
          }
        } finally {
          clearInterval(timer);
        }
      },
    },
  },
};

const schema = createSchema({ typeDefs: readFileSync(args.schema, 'utf8'), resolvers });
const faults = new Map(); // operation -> {status, count}

const yoga = createYoga({
  schema,
  graphqlEndpoint: '/graphql',
  graphiql: false,
  logging: false,
  maskedErrors: false,
  plugins: [
    useAPQ(),
    {
      async onRequest({ request, url, fetchAPI, endResponse }) {
        let op = url.searchParams.get('operationName') ?? '';
        if (request.method === 'POST') op = (await request.clone().json().catch(() => ({}))).operationName ?? '';
        const f = faults.get(op);
        if (f && f.count > 0 && f.status !== 'rate-limit-200') {
          f.count--;
          record({ kind: 'http', method: request.method, operation: op, key: request.headers.get('idempotency-key'), injected: f.status });
          endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: `injected ${f.status}` }] }), { status: f.status, headers: { 'content-type': 'application/json', 'retry-after': '0' } }));
          return;
        }
        const auth = request.headers.get('authorization');
        const why = checkToken(auth);
        if (why && !args.authErrorsAs200) {
          record({ kind: 'http', auth, rejected: why });
          endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: `unauthenticated: ${why}`, extensions: { code: 'UNAUTHENTICATED' } }] }),
            { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } }));
        }
      },
      onParams({ params, request, setResult }) {
        const auth = request.headers.get('authorization');
        const why = checkToken(auth);
        const op = params.operationName ?? '';
        record({ kind: 'http', method: request.method, operation: op, hasQuery: !!params.query, key: request.headers.get('idempotency-key'), auth, rejected: why || undefined });
        if (why) {
          setResult({ errors: [new GraphQLError(`unauthenticated: ${why}`, { extensions: { code: 'UNAUTHENTICATED' } })] });
          return;
        }
        const f = faults.get(op);
        if (f && f.count > 0 && f.status === 'rate-limit-200') {
          f.count--;
          setResult({ errors: [new GraphQLError('API rate limit exceeded', { extensions: { code: 'RATE_LIMITED' } })] });
        }
      },
    },
  ],
});

const server = http.createServer(async (req, res) => {
  if (req.url === '/_log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ server: serverID, log }));
    return;
  }
  if (req.url === '/_fault' && req.method === 'POST') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const f = JSON.parse(body);
    faults.set(f.operation, { status: f.status, count: f.count ?? 1 });
    res.writeHead(204);
    res.end();
    return;
  }
  return yoga(req, res);
});

const wss = new WebSocketServer({ server, path: '/graphql' });
useServer({
  onConnect: (ctx) => {
    const auth = ctx.connectionParams?.Authorization;
    const why = checkToken(auth);
    record({ kind: 'connection_init', auth, rejected: why || undefined, server: serverID });
    return !why;
  },
  onSubscribe: async (ctx, id, payload) => {
    record({ kind: 'subscribe', id, operation: payload.operationName, server: serverID });
    const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params: payload });
    const a = { schema: s, operationName: payload.operationName, document: parse(payload.query), variableValues: payload.variables, contextValue: await contextFactory(), rootValue: { execute, subscribe } };
    const errors = validate(a.schema, a.document);
    if (errors.length) return errors;
    return a;
  },
  onComplete: (ctx, id) => record({ kind: 'complete', id, server: serverID }),
  execute: (a) => a.rootValue.execute(a),
  subscribe: (a) => a.rootValue.subscribe(a),
}, wss);

server.listen(args.port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${args.port}/graphql (server ${serverID})`);
});
