// Documents of a processing centre's back office (seed 003), as PDF: the letter returning an
// unusable file to its unit with the reasons (§2.2), and the report of the files registered for
// more than thirty days and not archived (§2.4), per processing office.
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';

// Standard PDF fonts speak WinAnsi: replace what it lacks.
const winAnsi = (s: string) =>
  s
    .replace(/[\u202f\u00a0]/g, ' ')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[^\n\u0020-\u00ff\u201c\u201d\u2013\u2014\u2022\u20ac]/g, '?');

const A4: [number, number] = [595.28, 841.89];
export const MARGIN = 56;

/** A little page writer: lines that wrap at the right margin and continue on a new page. */
export class Writer {
  page!: PDFPage;
  y = 0;
  readonly doc: PDFDocument;
  readonly regular: PDFFont;
  readonly bold: PDFFont;
  readonly landscape: boolean;
  pages = 0;
  readonly footer: string;

  constructor(doc: PDFDocument, regular: PDFFont, bold: PDFFont, footer: string, landscape = false) {
    this.doc = doc;
    this.regular = regular;
    this.bold = bold;
    this.footer = footer;
    this.landscape = landscape;
    this.newPage();
  }

  get width(): number {
    return (this.landscape ? A4[1] : A4[0]) - 2 * MARGIN;
  }

  newPage(): void {
    this.page = this.doc.addPage(this.landscape ? [A4[1], A4[0]] : A4);
    this.pages++;
    this.y = this.page.getHeight() - MARGIN;
    this.page.drawText(winAnsi(`${this.footer} — page ${this.pages}`), {
      x: MARGIN,
      y: 28,
      size: 8,
      font: this.regular,
      color: rgb(0.35, 0.35, 0.4),
    });
  }

  ensure(height: number): void {
    if (this.y - height < MARGIN) this.newPage();
  }

  wrap(text: string, font: PDFFont, size: number, width: number): string[] {
    const out: string[] = [];
    const space = font.widthOfTextAtSize(' ', size);
    for (const para of winAnsi(text).split('\n')) {
      let line = '';
      let lineWidth = 0;
      for (const word of para.split(' ')) {
        const w = font.widthOfTextAtSize(word, size);
        if (line && lineWidth + space + w > width) {
          out.push(line);
          line = word;
          lineWidth = w;
        } else {
          lineWidth += (line ? space : 0) + w;
          line = line ? `${line} ${word}` : word;
        }
      }
      out.push(line);
    }
    return out;
  }

  text(
    text: string,
    opts: {
      size?: number;
      bold?: boolean;
      x?: number;
      gap?: number;
      width?: number;
      color?: [number, number, number];
    } = {},
  ): void {
    const size = opts.size ?? 10.5;
    const font = opts.bold ? this.bold : this.regular;
    const x = opts.x ?? MARGIN;
    for (const line of this.wrap(text, font, size, opts.width ?? this.width - (x - MARGIN))) {
      this.ensure(size + 4);
      this.page.drawText(line, { x, y: this.y, size, font, color: rgb(...(opts.color ?? [0.1, 0.1, 0.15])) });
      this.y -= size + 4;
    }
    this.y -= opts.gap ?? 0;
  }

  /** One table row: cells clipped to their column (the report lists many files). */
  row(cells: string[], widths: number[], opts: { bold?: boolean; size?: number } = {}): void {
    const size = opts.size ?? 8.5;
    const font = opts.bold ? this.bold : this.regular;
    this.ensure(size + 5);
    let x = MARGIN;
    cells.forEach((cell, i) => {
      let t = winAnsi(cell);
      const w = widths[i]! - 4;
      while (t.length > 1 && font.widthOfTextAtSize(t, size) > w) t = `${t.slice(0, -2)}…`.replace('……', '…');
      this.page.drawText(winAnsi(t), { x, y: this.y, size, font, color: rgb(0.1, 0.1, 0.15) });
      x += widths[i]!;
    });
    this.y -= size + 5;
  }
}

export async function newDocument(title: string) {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setLanguage('fr-FR');
  doc.setProducer('Cartes Agents');
  doc.setCreator('Cartes Agents — bureau de liaison');
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  return { doc, regular, bold };
}

export function frenchLongDate(d: Date): string {
  return d.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' });
}

export interface ReturnLetter {
  centreName: string;
  centreAddress: string;
  liaisonOfficeName: string;
  unitName: string;
  unitAddress: string;
  contactName: string | null;
  fileNumber: string;
  kindLabel: string;
  personName: string;
  personIdentifier: string | null;
  unitReference: string | null;
  slipNumber: string | null;
  slipUnitReference: string | null;
  slipDate: string | null;
  receivedAt: string;
  reasons: string[];
  note: string | null;
  signedBy: string;
  date: Date;
}

/** « Avis de renvoi de dossier » to the unit, with every reason the file could not be used. */
export async function returnLetterPdf(l: ReturnLetter): Promise<Uint8Array> {
  const { doc, regular, bold } = await newDocument(`Renvoi du dossier ${l.fileNumber}`);
  const w = new Writer(doc, regular, bold, `${l.centreName} — renvoi du dossier ${l.fileNumber}`);
  w.text(l.centreName, { bold: true });
  w.text(l.liaisonOfficeName);
  if (l.centreAddress) w.text(l.centreAddress, { gap: 16 });
  const addressTop = w.y;
  w.y = addressTop;
  const x = 320;
  w.text(l.unitName, { x, bold: true });
  if (l.contactName) w.text(`À l'attention de ${l.contactName}`, { x });
  for (const part of l.unitAddress.split('\n').filter(Boolean)) w.text(part, { x });
  w.y -= 18;
  w.text(`Le ${frenchLongDate(l.date)}`, { x, gap: 18 });
  w.text(`Objet : renvoi du dossier ${l.fileNumber} — ${l.kindLabel}`, { bold: true, gap: 6 });
  const refs = [
    `Administré : ${l.personName}${l.personIdentifier ? ` (${l.personIdentifier})` : ''}`,
    l.unitReference ? `Votre référence : ${l.unitReference}` : null,
    l.slipNumber
      ? `Bordereau d'envoi ${l.slipUnitReference ?? ''} du ${l.slipDate ? new Date(`${l.slipDate}T12:00:00Z`).toLocaleDateString('fr-FR') : ''}, enregistré sous le n° ${l.slipNumber}`
      : null,
    `Reçu au centre le ${frenchLongDate(new Date(l.receivedAt))}`,
  ].filter(Boolean) as string[];
  for (const r of refs) w.text(r, { size: 9.5 });
  w.y -= 14;
  w.text('Madame, Monsieur,', { gap: 8 });
  w.text(
    "Le dossier cité en objet ne peut pas être exploité par les bureaux de traitement du centre. Les éléments manquants n'ont pas pu être obtenus par un simple contact téléphonique, une télécopie ou un courriel, ou nécessitent une nouvelle signature de l'administré ou de l'autorité ayant ordonné le déplacement. Il vous est donc renvoyé pour les motifs suivants :",
    { gap: 8 },
  );
  for (const r of l.reasons) w.text(`•  ${r}`, { x: MARGIN + 14, gap: 2 });
  if (l.note) {
    w.y -= 6;
    w.text(`Observation : ${l.note}`, { gap: 4 });
  }
  w.y -= 10;
  w.text(
    "Nous vous remercions de compléter ce dossier et de nous le retourner dans les meilleurs délais, accompagné d'un nouveau bordereau d'envoi, afin de limiter le retard et les conséquences préjudiciables de ce renvoi pour l'administré.",
    { gap: 16 },
  );
  w.text('Pour le chef du centre et par ordre,', { x });
  w.text(l.signedBy, { x, bold: true });
  w.text(l.liaisonOfficeName, { x });
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}

export interface AgeingPdfRow {
  number: string;
  kindLabel: string;
  personName: string;
  sendingUnit: string;
  registeredAt: string;
  ageDays: number;
  statusLabel: string;
  priorityLabel: string;
}

export interface AgeingPdf {
  centreName: string;
  asOf: string;
  days: number;
  total: number;
  offices: { name: string; count: number; files: AgeingPdfRow[] }[];
}

/** « Situation des dossiers enregistrés depuis plus de trente jours et non archivés », per office. */
export async function ageingReportPdf(r: AgeingPdf): Promise<Uint8Array> {
  const title = `Dossiers enregistrés depuis plus de ${r.days} jours et non archivés`;
  const { doc, regular, bold } = await newDocument(title);
  const w = new Writer(doc, regular, bold, `${r.centreName} — ${title}`, true);
  w.text(r.centreName, { bold: true });
  w.text(title, { bold: true, size: 14, gap: 4 });
  w.text(
    `Situation au ${frenchLongDate(new Date(r.asOf))} : ${r.total} dossier(s), par bureau de traitement (seuil : ${r.days} jours).`,
    { gap: 10 },
  );
  const widths = [92, 130, 120, 130, 62, 40, 92, 64];
  for (const o of r.offices) {
    w.ensure(60);
    w.text(`${o.name} — ${o.count} dossier(s)`, { bold: true, size: 11, gap: 2 });
    w.row(['Numéro', 'Type', 'Administré', 'Formation', 'Enregistré', 'Jours', 'Situation', 'Priorité'], widths, {
      bold: true,
    });
    for (const f of o.files)
      w.row(
        [
          f.number,
          f.kindLabel,
          f.personName,
          f.sendingUnit,
          new Date(f.registeredAt).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' }),
          String(f.ageDays),
          f.statusLabel,
          f.priorityLabel,
        ],
        widths,
      );
    w.y -= 8;
  }
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}

/** A table of figures by month (the dashboards of seed 003 annex II), landscape, one section after another. */
export interface FiguresPdf {
  title: string;
  subtitle: string;
  columns: string[];
  sections: { title: string; rows: { label: string; cells: string[] }[] }[];
  notes: string[];
}

export async function figuresPdf(f: FiguresPdf): Promise<Uint8Array> {
  const { doc, regular, bold } = await newDocument(f.title);
  const w = new Writer(doc, regular, bold, f.title, true);
  w.text(f.title, { bold: true, size: 14, gap: 4 });
  w.text(f.subtitle, { gap: 10 });
  const label = 190;
  const rest = (w.width - label) / Math.max(1, f.columns.length);
  const widths = [label, ...f.columns.map(() => rest)];
  for (const s of f.sections) {
    w.ensure(60);
    w.text(s.title, { bold: true, size: 11, gap: 2 });
    w.row(['', ...f.columns], widths, { bold: true, size: 7.5 });
    for (const r of s.rows) w.row([r.label, ...r.cells], widths, { size: 7.5 });
    w.y -= 8;
  }
  for (const n of f.notes) w.text(n, { size: 8, gap: 2 });
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}
