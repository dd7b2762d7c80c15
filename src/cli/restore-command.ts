import { LINK_DEPTH } from '../archive/archive-columns';
import { restoreRun, type RestoreOutcome } from '../archive/restore';
import { EXIT, UsageError } from '../errors';
import { cliActor, printJson, withApp, type CommandContext } from './context';
import { parseRunId } from './runs-command';
import { formatCount, renderTable } from './table';

/** The plan, or what was put back: per entity, query and depth, parents first. */
export function renderRestore(o: RestoreOutcome): string {
  // Shown where some record holds a value of a column its table no longer has (missing-columns.ts).
  const missing = o.groups.some((g) => g.columnMissing > 0);
  const lines = [
    o.dryRun
      ? `restore of run ${o.runId} of ${o.job} (dry run: nothing written)`
      : `run ${o.runId} of ${o.job}: ${formatCount(o.restored)} record(s) put back${o.relinked > 0 ? `, ${formatCount(o.relinked)} link(s) set back` : ''}, ${formatCount(o.failed)} could not go back`,
    renderTable(
      [
        { header: 'ENTITY' },
        { header: 'ARCHIVE' },
        { header: 'QUERY', kind: 'number' },
        { header: 'DEPTH', kind: 'number' },
        { header: 'TO RESTORE', kind: 'number' },
        { header: 'KEY EXISTS AGAIN', kind: 'number' },
        ...(missing ? [{ header: 'COLUMN MISSING', kind: 'number' as const }] : []),
        ...(o.dryRun ? [] : [{ header: 'RESTORED', kind: 'number' as const }, { header: 'FAILED', kind: 'number' as const }]),
      ],
      o.groups.map((g) => [
        g.entity,
        g.table,
        g.queryIndex,
        // Rows whose links ON DELETE SET NULL the run set to null: restore sets them back (relink.ts).
        g.depth === LINK_DEPTH ? 'links' : g.depth,
        formatCount(g.pending),
        g.keyExists === null ? '-' : formatCount(g.keyExists),
        ...(missing ? [formatCount(g.columnMissing)] : []),
        ...(o.dryRun ? [] : [formatCount(g.restored), formatCount(g.failed)]),
      ]),
    ),
  ];
  if (o.groups.length === 0)
    lines.push('nothing left to restore: the run archived nothing, or all of it was restored already');
  if (o.failures.length > 0) {
    lines.push('', o.dryRun ? 'will not go back (they stay in the archive):' : 'restore failures:');
    lines.push(
      renderTable(
        [{ header: 'ENTITY' }, { header: 'KEY' }, { header: 'CODE' }, { header: 'MESSAGE', kind: 'text' }],
        o.failures.map((f) => [f.entity, f.key, f.code, f.message]),
      ),
    );
  }
  if (o.restored > 0 || o.dryRun)
    lines.push(
      '',
      `the restored records may still match the job's queries: pause "${o.job}" (sweeper pause ${o.job}) or change it, or its next run deletes them again`,
    );
  return lines.join('\n');
}

/** `sweeper restore <run-id> [--entity E] [--dry-run] [--yes]`. */
export async function restoreCommand(
  ctx: CommandContext,
  idText: string,
  opts: { entity?: string; dryRun?: boolean; yes?: boolean; json?: boolean },
): Promise<number> {
  const runId = parseRunId(idText);
  return withApp(ctx, async (app) => {
    const deps = { store: app.store, targets: app.targets, clock: app.clock };
    const plan = await restoreRun(deps, { runId, entity: opts.entity, dryRun: true, actor: cliActor(ctx) });
    if (opts.dryRun || !opts.json) {
      if (opts.json) printJson(ctx, plan);
      else ctx.out(renderRestore(plan));
    }
    if (opts.dryRun || plan.groups.length === 0) return EXIT.ok;
    if (!opts.yes) {
      if (!ctx.interactive)
        throw new UsageError(
          'not a terminal, so there is no one to confirm: add --yes to restore without asking, or --dry-run to only see the plan',
        );
      const answer = await ctx.ask(
        `Put these records back into target "${plan.target}"? Type the run id to confirm: `,
      );
      if (answer.trim() !== String(runId)) {
        ctx.err('not confirmed: nothing restored');
        return EXIT.failed;
      }
    }
    const done = await restoreRun(deps, { runId, entity: opts.entity, dryRun: false, actor: cliActor(ctx) });
    if (opts.json) printJson(ctx, done);
    else ctx.out(renderRestore(done));
    return done.failed > 0 ? EXIT.completedWithFailures : EXIT.ok;
  });
}
