import { OUTCOME_STYLES } from '../notify/outcome';
import { FAILURE_LOG_COLUMNS, FAILURE_LOG_TABLE } from './failures-page';
import { cardLabels } from './html';

/** The colour of an outcome, as its email shows it. */
const outcomeColour = (outcome: keyof typeof OUTCOME_STYLES): string => OUTCOME_STYLES[outcome].colour;

/**
 * The dashboard's one stylesheet, served as /ui/assets/dashboard.css. The outcome colours are the
 * emails' own (notify/templates.ts), so a run looks the same in the inbox and on the page.
 */
export const DASHBOARD_CSS = `
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --soft: #f6f8fa; --link: #0969da;
  --succeeded: ${outcomeColour('succeeded')}; --completed_with_failures: ${outcomeColour('completed_with_failures')};
  --failed: ${outcomeColour('failed')}; --running: #0969da; --waiting: #8250df; --ended: #59636e;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
a { color: var(--link); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 20px; padding: 10px 20px; background: #24292f; color: #fff; }
header.top .brand { font-weight: 700; font-size: 17px; color: #fff; }
header.top nav { display: flex; flex-wrap: wrap; gap: 4px 16px; }
header.top nav a { color: #d0d7de; }
header.top nav a[aria-current="page"] { color: #fff; font-weight: 600; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 10px; color: #d0d7de; font-size: 14px; }
header.top .who button { background: transparent; color: #d0d7de; border: 1px solid #57606a; padding: 2px 8px; }
main { padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 22px; margin: 4px 0 12px; overflow-wrap: anywhere; }
h1 .flag { margin-left: 8px; vertical-align: middle; }
h2 { font-size: 17px; margin: 24px 0 8px; }
p.lead { color: var(--muted); margin: 0 0 12px; }
.notice { border: 1px solid #54aeff; background: #ddf4ff; padding: 8px 12px; margin: 0 0 12px; border-radius: 6px; }
.problem { border: 1px solid #ff8182; background: #ffebe9; padding: 8px 12px; margin: 0 0 12px; border-radius: 6px; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
/* Cells of a row share one baseline: a key or code in the smaller monospace sits on the line of the text beside it. */
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: baseline; }
th { background: var(--soft); font-weight: 600; font-size: 13px; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
/* Numbers take the width they need; the text columns the rest. */
td.num, th.num { text-align: right; white-space: nowrap; width: 1%; }
td.nowrap { white-space: nowrap; }
td.text { overflow-wrap: anywhere; min-width: 12em; }
td.key, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; background: var(--ended); }
.status.succeeded { background: var(--succeeded); }
.status.completed_with_failures { background: var(--completed_with_failures); }
.status.failed { background: var(--failed); }
.status.running { background: var(--running); }
.status.queued, .status.interrupted, .status.paused { background: var(--waiting); }
.status.canceled, .status.skipped { background: #fff; color: var(--ended); border: 1px solid var(--line); }
.flag { display: inline-block; padding: 0 6px; border: 1px solid var(--waiting); color: var(--waiting); border-radius: 10px; font-size: 12px; white-space: nowrap; }
svg.recent { vertical-align: middle; }
svg.recent rect { fill: var(--ended); }
svg.recent rect.succeeded { fill: var(--succeeded); }
svg.recent rect.completed_with_failures { fill: var(--completed_with_failures); }
svg.recent rect.failed { fill: var(--failed); }
svg.recent rect.running { fill: var(--running); }
svg.recent rect.queued, svg.recent rect.interrupted, svg.recent rect.paused { fill: var(--waiting); }
svg.recent rect.skipped, svg.recent rect.canceled { fill: var(--line); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 8px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.progress { margin: 12px 0; }
.progress progress { width: 100%; height: 18px; accent-color: var(--running); }
.progress .line { font-variant-numeric: tabular-nums; }
ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--line); }
ol.timeline li { position: relative; padding: 0 0 10px 16px; }
ol.timeline li::before { content: ""; position: absolute; left: -6px; top: 6px; width: 10px; height: 10px; border-radius: 50%; background: var(--line); }
ol.timeline .when { color: var(--muted); font-size: 13px; font-variant-numeric: tabular-nums; }
form.inline { display: inline; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; margin: 8px 0 16px; }
.controls form { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-end; padding: 8px; border: 1px solid var(--line); border-radius: 6px; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin: 0 0 12px; }
form.filters > a { line-height: 32px; }
label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 2px; }
/* Fields, menus and buttons of one height, so a row of them lines up. */
input, select, button { font: inherit; font-size: 14px; height: 32px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); }
input[type="number"] { width: 7em; }
a.button { display: inline-flex; align-items: center; height: 32px; padding: 0 10px; font-size: 14px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); font-weight: 600; }
button { cursor: pointer; background: var(--soft); font-weight: 600; }
button.danger { background: var(--failed); border-color: var(--failed); color: #fff; }
button.primary { background: var(--succeeded); border-color: var(--succeeded); color: #fff; }
.pager { display: flex; gap: 16px; margin: 10px 0; }
.downloads { display: flex; gap: 12px; margin: 0 0 12px; }
pre.yaml { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow-x: auto; font-size: 13px; }
.signin { max-width: 420px; }
.signin form { display: flex; flex-direction: column; gap: 10px; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  header.top { padding: 8px 12px; }
  header.top .who { margin-left: 0; }
  main { padding: 12px; }
  th, td { padding: 5px 6px; }
  .hide-narrow { display: none; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: 6px; }
  /* The filters in two even columns, each field as wide as its column. */
  form.filters { display: grid; grid-template-columns: 1fr 1fr; }
  form.filters label { min-width: 0; }
  form.filters input, form.filters select { width: 100%; min-width: 0; }
  /* Long lists become one card per record on a phone: every field, each with its label. */
  table.cards thead { display: none; }
  table.cards tr { display: block; padding: 6px 0; border-bottom: 1px solid var(--line); }
  table.cards tr:last-child { border-bottom: 0; }
  table.cards td, table.cards td.hide-narrow, table.cards tfoot th { display: flex; align-items: baseline; gap: 10px; width: auto; padding: 1px 10px; border: 0; text-align: left; white-space: normal; min-width: 0; background: none; }
  table.cards td::before, table.cards tfoot th::before { content: attr(data-label); flex: 0 0 6.5em; color: var(--muted); font-size: 13px; font-weight: 400; }
${cardLabels(FAILURE_LOG_TABLE, FAILURE_LOG_COLUMNS)}
  table.cards td[colspan]::before, table.cards tfoot th:not([data-label])::before { content: none; }
  table.cards tfoot th:empty { display: none; }
  table.cards tfoot tr { background: var(--soft); border-top: 1px solid var(--line); }
}
`;
