import { userInfo } from 'node:os';
import { cliActor, type CommandContext } from '../../src/cli/context';

const withEnv = (env: Record<string, string | undefined>) => ({ env }) as unknown as CommandContext;

/** Who asked for a manual run, as its history and email say ("run now, asked by cli:<who>"). */
describe('the actor of a CLI command', () => {
  it('is $USER, else $USERNAME', () => {
    expect(cliActor(withEnv({ USER: 'alice', USERNAME: 'bob' }))).toBe('cli:alice');
    expect(cliActor(withEnv({ USERNAME: 'bob' }))).toBe('cli:bob');
  });

  it('without either (a container, cron, or a variable set empty) is the account the process runs as, not "unknown"', () => {
    const account = userInfo().username;
    expect(cliActor(withEnv({}))).toBe(`cli:${account}`);
    expect(cliActor(withEnv({ USER: '', USERNAME: '' }))).toBe(`cli:${account}`);
  });
});
