// CSV « ; » with a BOM and CRLF, as French spreadsheets open it; cells that a spreadsheet would take
// for a formula (=, +, -, @) are neutralised.

function cell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[";\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvDocument(header: string[], rows: (string | number | null)[][]): string {
  return `\uFEFF${[header, ...rows].map((r) => r.map(cell).join(';')).join('\r\n')}\r\n`;
}
