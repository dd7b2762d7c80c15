import { loadAll, loadConfig } from '../../src/config/load';
import { BASE, folder, job, problemsOf } from './config-files';

const ALL = '  - { entity: t, allRecords: true }';
const ONE_PER_LINE = 'contains a line break or control character: write the address on one line';

describe('mail addresses: one per entry, on one line', () => {
  it('checks mail.from, where a line break would write headers of its own', () => {
    expect(problemsOf(() => loadConfig(folder(`${BASE}mail: { from: "Sweeper <s@x.example>\\r\\nBcc: all@x.example" }\n`), {}))).toEqual([
      `sweeper.yaml: mail.from: "Sweeper <s@x.example>\\r\\nBcc: all@x.example" ${ONE_PER_LINE}`,
    ]);
    expect(problemsOf(() => loadConfig(folder(`${BASE}mail: { from: "Sweeper" }\n`), {}))).toEqual([
      'sweeper.yaml: mail.from: "Sweeper" is not an email address: write name@example.com or "Name <name@example.com>"',
    ]);
    expect(loadConfig(folder(`${BASE}mail: { from: '"Sweeper, Ops" <sweeper@x.example>' }\n`), {}).mail.from).toBe('"Sweeper, Ops" <sweeper@x.example>');
  });

  it('refuses a recipient entry that holds two addresses, a line break, or no address', () => {
    const notify = 'notify: { to: ["a@x.example, B <b@y.example>", "ops@x.example\\nBcc: c@z.example"], cc: ["a@x.example; b@y.example", "B <b@y@z>"] }\n';
    expect(problemsOf(() => loadAll(folder(BASE, { 'a.yaml': job('a', ALL, notify) }), {}))).toEqual([
      'a.yaml: notify.to[0]: "a@x.example, B <b@y.example>" holds more than one address: give each its own entry, e.g. [a@x.example, "B <b@y.example>"]',
      `a.yaml: notify.to[1]: "ops@x.example\\nBcc: c@z.example" ${ONE_PER_LINE}`,
      'a.yaml: notify.cc[0]: "a@x.example; b@y.example" holds more than one address: give each its own entry, e.g. [a@x.example, b@y.example]',
      'a.yaml: notify.cc[1]: "B <b@y@z>" is not an email address: write name@example.com or "Name <name@example.com>"',
    ]);
    const ok = 'notify: { to: [ops@x.example, "Ops Team <ops@x.example>", \'"Doe, Jane" <jane@x.example>\'] }\n';
    expect(loadAll(folder(BASE, { 'a.yaml': job('a', ALL, ok) }), {}).jobs[0]!.notify.to).toHaveLength(3);
  });
});

describe('http', () => {
  it('refuses a port out of range and a listen that is not host:port', () => {
    const listen = (l: string) => problemsOf(() => loadConfig(folder(`${BASE}http: { listen: "${l}" }\n`), {}));
    expect(listen('127.0.0.1:99999')).toEqual([
      'sweeper.yaml: http.listen: "127.0.0.1:99999": port 99999 is out of range: use a port from 1 to 65535, e.g. 127.0.0.1:8787',
    ]);
    expect(listen('[::1]:65536')).toEqual(['sweeper.yaml: http.listen: "[::1]:65536": port 65536 is out of range: use a port from 1 to 65535, e.g. [::1]:8787']);
    // Port 0 picks a free port (the HTTP tests listen so).
    expect(loadConfig(folder(`${BASE}http: { listen: "127.0.0.1:0" }\n`), {}).http?.listen).toBe('127.0.0.1:0');
    expect(listen('localhost')).toEqual(['sweeper.yaml: http.listen: "localhost" is not host:port: write e.g. 127.0.0.1:8787 or [::1]:8787']);
  });

  it('refuses one secret for two tokens (the first would win) and two tokens of one name', () => {
    const tokens = `http:
  listen: "127.0.0.1:8787"
  tokens:
    - { name: ci, token: "0123456789abcdef", role: viewer }
    - { name: deploy, token: "0123456789abcdef", role: operator }
    - { name: ci, token: "fedcba9876543210", role: operator }
`;
    expect(problemsOf(() => loadConfig(folder(BASE + tokens), {}))).toEqual([
      'sweeper.yaml: http.tokens[1].token: is the same secret as http.tokens[0] ("ci", viewer): one secret would have two roles; give each token its own secret (e.g. openssl rand -hex 32)',
      'sweeper.yaml: http.tokens[2].name: "ci" is already the name of http.tokens[0]: give each token its own name (control actions record it as the actor)',
    ]);
    const unquoted = 'http: { listen: "127.0.0.1:8787", tokens: [ { name: ops, token: 1234567890123456789, role: operator } ] }\n';
    // A secret is never echoed.
    expect(problemsOf(() => loadConfig(folder(BASE + unquoted), {}))).toEqual(['sweeper.yaml: http.tokens[0].token: expected a text: write the secret in quotes']);
  });
});
