// Documents of a centre's internal control (seed 003 §4), as PDF: the control sheet (annex IV)
// with its visas, the monthly synthesis of the sheets, and the letter sending a copy of a paid file
// doubtful on the merits to the verifying service of its unit (§4.3.1).
import { rgb } from 'pdf-lib';
import { frenchLongDate, MARGIN, newDocument, Writer } from './backoffice-pdf.ts';

const day = (iso: string | null) =>
  iso ? new Date(iso).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' }) : '—';

export interface SheetPdf {
  centreName: string;
  bomName: string;
  number: string;
  officeName: string;
  fileNumber: string;
  kindLabel: string;
  personName: string;
  processedAt: string | null;
  processedBy: string | null;
  amount: string | null;
  controlledAt: string;
  controller: string;
  objectLabel: string;
  ruleLabel: string;
  findings: string;
  statusLabel: string;
  steps: { label: string; by: string | null; at: string | null; text: string | null }[];
}

/** « Fiche de contrôle » (annex IV): the anomaly, then each visa in its box. */
export async function controlSheetPdf(s: SheetPdf): Promise<Uint8Array> {
  const { doc, regular, bold } = await newDocument(`Fiche de contrôle ${s.number}`);
  const w = new Writer(doc, regular, bold, `${s.centreName} — fiche de contrôle ${s.number}`);
  w.text(s.centreName, { bold: true });
  w.text(s.bomName, { gap: 12 });
  w.text(`FICHE DE CONTRÔLE N° ${s.number}`, { bold: true, size: 15, gap: 4 });
  w.text(`Situation : ${s.statusLabel}`, { size: 9.5, gap: 12 });
  w.text('Bureau concerné', { bold: true, size: 11 });
  w.text(s.officeName, { gap: 8 });
  w.text('Dossier contrôlé', { bold: true, size: 11 });
  for (const line of [
    `Numéro : ${s.fileNumber} — ${s.kindLabel}`,
    `Administré : ${s.personName}`,
    `Traité le ${day(s.processedAt)}${s.processedBy ? ` par ${s.processedBy}` : ''}`,
    s.amount ? `Montant du décompte : ${s.amount}` : null,
  ].filter(Boolean) as string[])
    w.text(line);
  w.y -= 8;
  w.text('Contrôle', { bold: true, size: 11 });
  w.text(`Contrôlé le ${day(s.controlledAt)} par ${s.controller} (${s.bomName})`);
  w.text(`Objet du contrôle : ${s.objectLabel}`);
  w.text(`Nature de l’anomalie : ${s.ruleLabel}`, { gap: 4 });
  w.text('Anomalie constatée', { bold: true, size: 11 });
  w.text(s.findings, { gap: 12 });
  for (const step of s.steps) {
    w.ensure(70);
    const top = w.y + 12;
    w.text(step.label, { bold: true, size: 10.5 });
    if (step.text) w.text(step.text, { x: MARGIN + 8 });
    w.text(step.at ? `Le ${day(step.at)} — ${step.by ?? ''}` : 'En attente', {
      x: MARGIN + 8,
      size: 9.5,
      color: step.at ? [0.1, 0.1, 0.15] : [0.45, 0.45, 0.5],
    });
    w.page.drawRectangle({
      x: MARGIN - 6,
      y: w.y + 6,
      width: w.width + 12,
      height: top - w.y - 6,
      borderWidth: 0.6,
      borderColor: rgb(0.4, 0.4, 0.45),
      opacity: 0,
      borderOpacity: 0.6,
    });
    w.y -= 14;
  }
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}

export interface SynthesisPdf {
  centreName: string;
  bomName: string;
  periodLabel: string;
  createdAt: string;
  createdBy: string;
  totals: { controlled: number; anomalies: number; rate: string; amountControlled: string; amountAnomalies: string };
  byOffice: { office: string; kind: string; controlled: number; anomalies: number }[];
  byObject: { label: string; anomalies: number }[];
  sheets: { number: string; file: string; office: string; rule: string; status: string }[];
  proposals: { kind: string; office: string; rule: string; months: string; sheets: number }[];
  recurrenceMonths: number;
}

/** « Synthèse mensuelle des contrôles », presented to the head of centre (§4.5). */
export async function synthesisPdf(s: SynthesisPdf): Promise<Uint8Array> {
  const title = `Synthèse mensuelle des contrôles — ${s.periodLabel}`;
  const { doc, regular, bold } = await newDocument(title);
  const w = new Writer(doc, regular, bold, `${s.centreName} — ${title}`);
  w.text(s.centreName, { bold: true });
  w.text(s.bomName, { gap: 12 });
  w.text(title, { bold: true, size: 14, gap: 4 });
  w.text(`Établie le ${frenchLongDate(new Date(s.createdAt))} par ${s.createdBy}, pour le chef de centre.`, {
    size: 9.5,
    gap: 10,
  });
  w.text('Résultats du mois', { bold: true, size: 11 });
  w.text(`Dossiers contrôlés : ${s.totals.controlled}`);
  w.text(`Contrôles ayant relevé une anomalie : ${s.totals.anomalies} (${s.totals.rate})`);
  w.text(`Montants contrôlés : ${s.totals.amountControlled} — dont en anomalie : ${s.totals.amountAnomalies}`, {
    gap: 10,
  });
  w.text('Par bureau et type de dossier', { bold: true, size: 11 });
  const widths = [170, 170, 70, 70];
  w.row(['Bureau', 'Type de dossier', 'Contrôlés', 'Anomalies'], widths, { bold: true });
  for (const r of s.byOffice) w.row([r.office, r.kind, String(r.controlled), String(r.anomalies)], widths);
  w.y -= 8;
  w.text('Anomalies par objet du contrôle', { bold: true, size: 11 });
  for (const o of s.byObject) w.text(`•  ${o.label} : ${o.anomalies}`, { x: MARGIN + 8 });
  w.y -= 8;
  w.text(`Fiches de contrôle du mois (${s.sheets.length})`, { bold: true, size: 11 });
  const sw = [80, 90, 120, 120, 73];
  w.row(['Fiche', 'Dossier', 'Bureau', 'Anomalie', 'Situation'], sw, { bold: true });
  for (const r of s.sheets) w.row([r.number, r.file, r.office, r.rule, r.status], sw);
  w.y -= 8;
  w.text(`Anomalies récurrentes (${s.recurrenceMonths} mois consécutifs)`, { bold: true, size: 11 });
  if (!s.proposals.length) w.text('Aucune anomalie récurrente.');
  for (const p of s.proposals)
    w.text(
      `•  ${p.rule} — ${p.kind}, ${p.office} : ${p.sheets} fiche(s) sur ${p.months}. Proposition au chef de centre : approfondir le contrôle selon cet axe.`,
      { x: MARGIN + 8, gap: 2 },
    );
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}

export interface TransmissionLetter {
  centreName: string;
  centreAddress: string;
  bomName: string;
  number: string;
  unitName: string;
  unitAddress: string;
  fileNumber: string;
  kindLabel: string;
  personName: string;
  unitReference: string | null;
  amount: string | null;
  transferredAt: string | null;
  grounds: string;
  signedBy: string;
  date: Date;
}

/** Letter to the unit's verifying service with a copy of a paid file doubtful on the merits (§4.3.1). */
export async function transmissionLetterPdf(l: TransmissionLetter): Promise<Uint8Array> {
  const { doc, regular, bold } = await newDocument(`Transmission ${l.number} au service vérificateur`);
  const w = new Writer(doc, regular, bold, `${l.centreName} — transmission ${l.number}`);
  w.text(l.centreName, { bold: true });
  w.text(l.bomName);
  if (l.centreAddress) w.text(l.centreAddress, { gap: 16 });
  const x = 320;
  w.text(l.unitName, { x, bold: true });
  w.text('À l’attention du service vérificateur', { x });
  for (const part of l.unitAddress.split('\n').filter(Boolean)) w.text(part, { x });
  w.y -= 18;
  w.text(`Le ${frenchLongDate(l.date)}`, { x, gap: 18 });
  w.text(`N° ${l.number}`, { size: 9.5 });
  w.text(`Objet : transmission pour vérification du dossier ${l.fileNumber} — ${l.kindLabel}`, {
    bold: true,
    gap: 6,
  });
  for (const r of [
    `Administré : ${l.personName}`,
    l.unitReference ? `Votre référence : ${l.unitReference}` : null,
    l.amount ? `Montant liquidé : ${l.amount}` : null,
    l.transferredAt ? `Transmis au centre payeur le ${frenchLongDate(new Date(l.transferredAt))}` : null,
  ].filter(Boolean) as string[])
    w.text(r, { size: 9.5 });
  w.y -= 14;
  w.text('Madame, Monsieur,', { gap: 8 });
  w.text(
    'À l’occasion du contrôle interne du centre, il est apparu que le dossier cité en objet, déjà payé et régulier en la forme, pourrait être irrégulier sur le fond. Le contrôle interne ne porte pas sur la régularité au fond des dossiers reçus : une copie de ce dossier vous est donc transmise, afin que soit procédé aux vérifications et redressements éventuellement nécessaires.',
    { gap: 8 },
  );
  w.text('Éléments relevés :', { bold: true });
  w.text(l.grounds, { x: MARGIN + 14, gap: 12 });
  w.text('Pour le chef du centre et par ordre,', { x });
  w.text(l.signedBy, { x, bold: true });
  w.text(l.bomName, { x });
  return doc.save({ objectsPerTick: Infinity, useObjectStreams: false });
}
