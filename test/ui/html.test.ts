import { escapeHtml } from '../../src/notify/format';
import { cardLabels, dataTable, html, raw } from '../../src/ui/html';

describe('dataTable: the one home of the dashboard tables', () => {
  it('an empty table has one row spanning the shown columns; columns left out are not counted', () => {
    const text = dataTable({
      cards: true,
      columns: [{ header: 'Run', class: 'num' }, false, { header: '<Job>' }],
      rows: [],
      empty: 'no runs <match>',
    }).text;
    expect(text).toContain('<table class="cards">');
    expect(text).toMatch(/<tr><th class="num">Run<\/th><th>&lt;Job&gt;<\/th><\/tr>/);
    expect(text).toContain('<td colspan="2" class="muted">no runs &lt;match&gt;</td>');
  });

  it('rows, the wrapper attributes (escaped) and a footer', () => {
    const text = dataTable({
      attributes: { id: 'jobs', 'data-live': '/ui/jobs?part=table&x="1"' },
      columns: [{ header: 'Job' }],
      rows: [
        html`<tr>
          <td>${'a&b'}</td>
        </tr>`,
      ],
      empty: 'none',
      foot: html`<tr>
        <th>Total</th>
      </tr>`,
    }).text;
    expect(text).toMatch(
      /^<div class="table-wrap" id="jobs" data-live="\/ui\/jobs\?part=table&amp;x=&quot;1&quot;">/,
    );
    expect(text).toContain('<td>a&amp;b</td>');
    expect(text).not.toContain('none');
    expect(text.replace(/>\s+</g, '><')).toContain('<tfoot><tr><th>Total</th></tr></tfoot>');
  });
});

describe('html: the tagged template of every page', () => {
  it("drops the template's source layout (a line break and its indent become one space), keeps interpolated text as it is", () => {
    const text = html`<pre class="yaml">${'a:\n  b: 1\n'}</pre>
      <p>
        one
        two
      </p>`.text;
    expect(text).toBe('<pre class="yaml">a:\n  b: 1\n</pre> <p> one two </p>');
    // Each evaluation of the same template gives the same text (its layout is kept per call site).
    const row = (n: number) => html`<tr>
        <td>${n}</td>
      </tr>`.text;
    expect([row(1), row(2)]).toEqual(['<tr> <td>1</td> </tr>', '<tr> <td>2</td> </tr>']);
  });

  it('escapes interpolated text whether or not it has anything to escape; numbers and raw markup pass', () => {
    expect(html`<td>${'plain'}</td><td>${`<b a="1">'&'</b>`}</td><td>${42}</td>${raw('<br>')}`.text).toBe(
      '<td>plain</td><td>&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;</td><td>42</td><br>',
    );
    expect(escapeHtml('nothing to escape')).toBe('nothing to escape');
  });
});

describe('cardLabels: the labels of a card table in the stylesheet', () => {
  it("labels each column's cells on a phone, the empty table's one row excepted", () => {
    const columns = [{ header: 'Run', class: 'num' }, { header: 'Code' }];
    expect(cardLabels('failure-log', columns).split('\n')).toEqual([
      'table.cards.failure-log td:nth-child(1):not([colspan])::before { content: "Run"; }',
      'table.cards.failure-log td:nth-child(2):not([colspan])::before { content: "Code"; }',
    ]);
    expect(dataTable({ cards: true, class: 'failure-log', columns, rows: [] }).text).toContain(
      '<table class="cards failure-log">',
    );
  });
});
