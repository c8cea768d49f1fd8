// The printable page of one invoice: a self-contained HTML document (inline CSS, no script, no external
// asset), laid out for A4 and Letter paper. "Print, save as PDF" in the browser is the PDF path.
import { escapeHtml } from '@origo/kit';
import { formatMoney, formatTaxPercent, formatUnitPrice, unitFor } from './invoice-math.js';
import type { Invoice } from './invoices.js';

const number = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const day = (d: Date) => d.toISOString().slice(0, 10);

const STATUS_TEXT: Readonly<Record<Invoice['status'], string>> = {
  draft: 'Draft: the month so far, not an invoice yet',
  due: 'Due',
  paid: 'Paid',
  void: 'Void',
};

const STYLE = `
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
    color: #1a1a1a; background: #f3f4f6; }
  main { max-width: 820px; margin: 24px auto; padding: 40px 48px; background: #fff;
    border: 1px solid #d9dce1; border-radius: 6px; }
  header { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; }
  h1 { margin: 0 0 4px; font-size: 24px; }
  .muted { color: #555; }
  .status { display: inline-block; padding: 2px 10px; border: 1px solid currentColor; border-radius: 999px;
    font-weight: 600; font-size: 13px; }
  .status.due { color: #9a3412; } .status.paid { color: #166534; } .status.void { color: #555; }
  .status.draft { color: #1e40af; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 24px 0; }
  dt { color: #555; } dd { margin: 0; }
  table { width: 100%; border-collapse: collapse; margin-top: 8px; }
  th, td { padding: 8px 6px; border-bottom: 1px solid #e5e7eb; text-align: right; vertical-align: top; }
  th:first-child, td:first-child { text-align: left; }
  thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #555;
    border-bottom: 2px solid #1a1a1a; }
  tfoot td { border-bottom: none; }
  tfoot tr.total td { border-top: 2px solid #1a1a1a; font-size: 16px; font-weight: 700; }
  .num { font-variant-numeric: tabular-nums; white-space: nowrap; }
  .note { margin-top: 32px; font-size: 12px; color: #555; }
  .screen-only { margin: 0 auto; max-width: 820px; padding: 0 4px; font-size: 13px; color: #555; }
  .lines { overflow-x: auto; }
  .phone-only { display: none; }
  @media screen and (max-width: 640px) {
    main { margin: 0; padding: 20px 14px; border: none; border-radius: 0; }
    header { flex-wrap: wrap; gap: 8px; }
    th, td { padding: 6px 4px; }
    thead th { letter-spacing: 0; }
    /* Item, used and amount fit a phone; included, billed and unit price are on the printed page. */
    thead th:nth-child(n+3):nth-child(-n+5), tbody td:nth-child(n+3):nth-child(-n+5),
    tfoot td.middle { display: none; }
    .phone-only { display: block; }
  }
  @page { size: auto; margin: 16mm; }
  @media print {
    body { background: #fff; }
    main { margin: 0; padding: 0; border: none; max-width: none; }
    .screen-only { display: none; }
    tr { break-inside: avoid; }
  }
`;

/**
 * The invoice as a printable HTML page; every value from outside is escaped. `orgName` is the
 * organization's name as auth has it now (null: only its id is shown).
 */
export function renderInvoiceHtml(invoice: Invoice, orgName: string | null = null): string {
  const money = (minor: number) => escapeHtml(formatMoney(minor, invoice.currency));
  const title = invoice.number === null ? `Draft statement ${invoice.period}` : `Invoice ${invoice.number}`;
  const lastDay = day(new Date(invoice.periodEnd.getTime() - 86_400_000));
  const facts: Array<[string, string]> = [
    ['Organization', orgName === null ? invoice.orgId : `${orgName} (${invoice.orgId})`],
    ['Period', `${day(invoice.periodStart)} to ${lastDay} (UTC)`],
    ['Plan', invoice.planName],
    ['Currency', invoice.currency],
  ];
  if (invoice.issuedAt !== null) facts.push(['Issued', day(invoice.issuedAt)]);
  if (invoice.dueAt !== null && invoice.status === 'due') facts.push(['Due by', day(invoice.dueAt)]);
  if (invoice.paidAt !== null) facts.push(['Paid', day(invoice.paidAt)]);
  if (invoice.voidedAt !== null) facts.push(['Voided', day(invoice.voidedAt)]);
  if (invoice.paymentFailedAt !== null && invoice.status === 'due')
    facts.push([
      'Last payment attempt',
      `${day(invoice.paymentFailedAt)}: ${invoice.paymentError ?? 'failed'}`,
    ]);

  const rows = invoice.lines
    .map((line) => {
      const plan = line.kind === 'plan';
      return `<tr>
        <td>${escapeHtml(line.description)}</td>
        <td class="num">${plan ? '1' : `${number(line.quantity)} ${escapeHtml(unitFor(line.quantity, line.unit))}`}</td>
        <td class="num">${plan || line.included === 0 ? '' : number(line.included)}</td>
        <td class="num">${plan ? '' : number(line.billable)}</td>
        <td class="num">${escapeHtml(formatUnitPrice(line.unitPriceMicrocents, invoice.currency))}</td>
        <td class="num">${money(line.amountCents)}</td>
      </tr>`;
    })
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<p class="screen-only">To keep a PDF, use your browser's Print command and choose "Save as PDF".</p>
<main>
  <header>
    <div>
      <h1>${escapeHtml(title)}</h1>
      <div class="muted">Origo monthly statement, ${escapeHtml(invoice.period)}</div>
    </div>
    <span class="status ${invoice.status}">${escapeHtml(STATUS_TEXT[invoice.status])}</span>
  </header>
  <dl>
    ${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n    ')}
  </dl>
  <div class="lines">
  <table>
    <thead>
      <tr><th>Item</th><th>Used</th><th>Included</th><th>Billed</th><th>Unit price</th><th>Amount</th></tr>
    </thead>
    <tbody>${rows}</tbody>
    <tfoot>
      <tr><td colspan="2">Subtotal</td><td class="middle" colspan="3"></td><td class="num">${money(invoice.subtotalCents)}</td></tr>
      <tr><td colspan="2">Tax (${escapeHtml(formatTaxPercent(invoice.taxRatePpm))}%)</td><td class="middle" colspan="3"></td>
        <td class="num">${money(invoice.taxCents)}</td></tr>
      <tr class="total"><td colspan="2">Total</td><td class="middle" colspan="3"></td><td class="num">${money(invoice.totalCents)}</td></tr>
    </tfoot>
  </table>
  </div>
  <p class="note phone-only">On a narrow screen the included, billed and unit price columns are left out;
  the printed page has them.</p>
  <p class="note">Minutes are counted from each meeting's events and rounded up to whole minutes once for the
  month; each line is rounded to the smallest unit of the currency (halves up), and tax is computed once on
  the subtotal.</p>
</main>
</body>
</html>
`;
}
