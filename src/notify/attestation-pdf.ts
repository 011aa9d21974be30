// The attestation of receipt ("attestation de remise", seed 001 step "Acceptation") as a PDF the
// holder downloads at activation and receives by mail: the exact paragraphs of the guide, the card,
// its certificates, and who countersigned.
import { PDFDocument, StandardFonts, rgb, type PDFFont } from 'pdf-lib';

export interface AttestationDocument {
  paragraphs: string[];
  cardSerial: string;
  modelLabel: string;
  certificates: {
    label: string;
    rgsLevel: string;
    serial: string;
    notBefore: string;
    notAfter: string;
    usages: string;
  }[];
  dn: string | null;
  date: Date;
}

// Standard PDF fonts speak WinAnsi only.
const winAnsi = (s: string) =>
  s.replace(/[\u202f\u00a0]/g, ' ').replace(/[^\n\u0020-\u00ff\u2019\u2018\u201c\u201d\u2013\u2014\u2022\u20ac]/g, '?');

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of winAnsi(text).split(/\s+/)) {
    const next = current ? `${current} ${word}` : word;
    if (font.widthOfTextAtSize(next, size) > width && current) {
      lines.push(current);
      current = word;
    } else {
      current = next;
    }
  }
  if (current) lines.push(current);
  return lines;
}

const frDate = (iso: string) => new Date(iso).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' });

export async function attestationPdf(a: AttestationDocument): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Attestation de remise de la carte ${a.cardSerial}`);
  doc.setLanguage('fr-FR');
  doc.setProducer('Cartes Agents');
  const page = doc.addPage([595.28, 841.89]);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const color = rgb(0.1, 0.1, 0.15);
  let y = 790;
  const write = (text: string, opts: { size?: number; font?: PDFFont; gap?: number; x?: number } = {}) => {
    const size = opts.size ?? 10;
    for (const l of wrap(text, opts.font ?? regular, size, 475 - ((opts.x ?? 60) - 60))) {
      page.drawText(l, { x: opts.x ?? 60, y, size, font: opts.font ?? regular, color });
      y -= size + 4;
    }
    y -= opts.gap ?? 6;
  };
  write('Attestation de remise de carte', { font: bold, size: 16, gap: 10 });
  write(`Carte n° ${a.cardSerial} — ${a.modelLabel}`, { font: bold });
  if (a.dn) write(`DN : ${a.dn}`, { size: 9 });
  write('Je certifie avoir reçu le support de type carte pour le(s) certificat(s) suivant(s) :', { gap: 4 });
  for (const c of a.certificates) {
    write(
      `${c.label} — niveau RGS ${c.rgsLevel} — n° ${c.serial} — du ${frDate(c.notBefore)} au ${frDate(c.notAfter)} — ${c.usages}`,
      { size: 9, x: 75, gap: 2 },
    );
  }
  y -= 10;
  for (const p of a.paragraphs) write(p, { gap: 8 });
  y -= 10;
  write(
    `Fait le ${a.date.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' })}.`,
    { gap: 4 },
  );
  write(
    'Signature électronique de l’opérateur et acceptation du porteur enregistrées dans le journal d’audit de la plateforme.',
    { size: 8 },
  );
  return doc.save();
}
