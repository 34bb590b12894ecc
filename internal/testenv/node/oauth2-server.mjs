// Starts oauth2-mock-server (pinned in package.json) for the end-to-end
// tests of sdk/auth, with what its command line cannot do:
//
//   - tokens that live a few seconds (--ttl, in seconds; the CLI issues
//     1-hour tokens), each with its own jti;
//   - client authentication (--client-id, --client-secret: HTTP basic or
//     form parameters; the library accepts any client);
//   - rotating refresh tokens: each refresh token works once, and only the
//     latest one issued is accepted (the library accepts any string);
//   - GET /_audit, the token requests received, in order, with the grant,
//     the refresh token sent and the one issued, so tests can assert what
//     the client sent.
//
// Usage: node oauth2-server.mjs --port N [--ttl 3] [--client-id ID] [--client-secret SECRET]
// It listens on 127.0.0.1 only and prints "listening on <url>" when ready.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

function parseArgs(argv) {
  const out = { port: 0, ttl: 3, clientId: 'sdkgen-client', clientSecret: 'sdkgen-secret' };
  for (let i = 2; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    switch (k) {
      case '--port': out.port = Number(v); break;
      case '--ttl': out.ttl = Number(v); break;
      case '--client-id': out.clientId = v; break;
      case '--client-secret': out.clientSecret = v; break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (!Number.isInteger(out.port) || out.port <= 0) throw new Error('--port is required');
  return out;
}

const args = parseArgs(process.argv);
const host = '127.0.0.1';
const issuer = new OAuth2Issuer();
issuer.url = `http://${host}:${args.port}`;
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer);

// The refresh tokens that may still be used: each is removed when used.
const liveRefreshTokens = new Set();
const audit = [];

// The client a token request authenticates as: HTTP basic, or form fields.
function clientOf(req) {
  const h = req.headers.authorization ?? '';
  if (h.toLowerCase().startsWith('basic ')) {
    const raw = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = raw.indexOf(':');
    return { id: decodeURIComponent(raw.slice(0, i)), secret: decodeURIComponent(raw.slice(i + 1)), how: 'basic' };
  }
  return { id: req.body?.client_id, secret: req.body?.client_secret, how: 'params' };
}

service.on('beforeTokenSigning', (token) => {
  const now = Math.floor(Date.now() / 1000);
  token.payload.iat = now;
  token.payload.nbf = now - 1;
  token.payload.exp = now + args.ttl;
  // A token id, as real servers give: two tokens issued in one second
  // differ.
  token.payload.jti = randomUUID();
});

service.on('beforeResponse', (response, req) => {
  const body = req.body ?? {};
  const client = clientOf(req);
  const entry = {
    grant_type: body.grant_type,
    client_auth: client.how,
    refresh_token_sent: body.refresh_token ?? '',
    scope: body.scope ?? '',
  };
  const fail = (status, error, description) => {
    response.statusCode = status;
    response.body = { error, error_description: description };
  };
  if (client.id !== args.clientId || (client.secret ?? '') !== args.clientSecret) {
    fail(401, 'invalid_client', 'client authentication failed');
  } else if (body.grant_type === 'refresh_token') {
    if (!liveRefreshTokens.has(body.refresh_token)) {
      fail(400, 'invalid_grant', 'the refresh token is unknown, used or rotated');
    } else {
      liveRefreshTokens.delete(body.refresh_token);
    }
  }
  if (response.statusCode === 200) {
    response.body.expires_in = args.ttl;
    if (response.body.refresh_token) {
      liveRefreshTokens.add(response.body.refresh_token);
    }
  }
  entry.status = response.statusCode;
  entry.error = response.body.error ?? '';
  entry.refresh_token_issued = response.body.refresh_token ?? '';
  audit.push(entry);
});

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/_audit') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(audit));
    return;
  }
  service.requestHandler(req, res);
});

server.listen(args.port, host, () => {
  console.log(`listening on ${issuer.url}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
