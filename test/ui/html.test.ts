import { dataTable, html } from '../../src/ui/html';

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
