import { loadAll } from '../../src/config/load';
import { BASE, folder, job, problemsOf } from './config-files';

const ALL = '  - { entity: t, allRecords: true }';

describe('notify.webhook and notify.slack', () => {
  it('loads a webhook with its secret and a Slack webhook URL', () => {
    const notify =
      'notify: { webhook: { url: "https://hooks.example.com/sweeper", secret: "0123456789abcdef" }, slack: { webhookUrl: "https://hooks.slack.com/services/T/B/x" } }\n';
    const [loaded] = loadAll(folder(BASE, { 'a.yaml': job('a', ALL, notify) }), {}).jobs;
    expect(loaded!.notify).toEqual({
      to: [],
      cc: [],
      on: 'always',
      webhook: { url: 'https://hooks.example.com/sweeper', secret: '0123456789abcdef' },
      slack: { webhookUrl: 'https://hooks.slack.com/services/T/B/x' },
    });
  });

  it('refuses a URL that is not http(s), a short or missing secret and unknown fields, echoing no secret', () => {
    const notify =
      'notify: { webhook: { url: "ftp://hooks.example.com/x", secret: "short-secret" }, slack: { webhookUrl: "hooks.slack.com/services/T/B/secret-path", channel: "#ops" } }\n';
    const problems = problemsOf(() => loadAll(folder(BASE, { 'a.yaml': job('a', ALL, notify) }), {}));
    expect(problems).toEqual([
      'a.yaml: notify.webhook.url: is not an http(s) URL: write the address Sweeper posts the run JSON to, e.g. https://hooks.example.com/sweeper',
      'a.yaml: notify.webhook.secret: must be at least 16 characters (e.g. openssl rand -hex 32): the receiver checks the Sweeper-Signature header with it',
      'a.yaml: notify.slack.webhookUrl: is not an http(s) URL: write the Slack app\'s incoming-webhook URL, e.g. "${SLACK_WEBHOOK_URL}"',
      'a.yaml: notify.slack: unknown field "channel": remove it (the fields here are webhookUrl)',
    ]);
    expect(problems.join('\n')).not.toContain('short-secret');
    expect(problems.join('\n')).not.toContain('secret-path');
    expect(
      problemsOf(() =>
        loadAll(
          folder(BASE, {
            'a.yaml': job('a', ALL, 'notify: { webhook: { url: "https://h.example.com" } }\n'),
          }),
          {},
        ),
      ),
    ).toEqual(['a.yaml: notify.webhook.secret: is required']);
  });
});
