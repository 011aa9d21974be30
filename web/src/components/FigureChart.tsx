// A chart of monthly figures (Chart.js on a canvas) in the DSFR colours. The canvas is an image for
// assistive technologies (role="img" with its title); the figures themselves are in the table that
// always follows each chart (seed 003 annex II: every chart has its accessible table).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/** DSFR colours: blue France, then the illustrative palette (green emeraude, orange terre battue, purple glycine...). */
export const DSFR_COLOURS = ['#000091', '#00a95f', '#e4794a', '#a558a0', '#417dc4', '#c3992a', '#e1000f', '#6a6af4'];
export const DSFR_RED = '#e1000f';

export interface Series {
  label: string;
  data: (number | null)[];
  colour?: string;
}

export function FigureChart(props: {
  title: string;
  labels: string[];
  series: Series[];
  kind?: 'bar' | 'line';
  /** A horizontal threshold line (a warning indicator's threshold). */
  threshold?: number | null;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const datasets = props.series.map((s, i) => ({
      type: props.kind ?? 'bar',
      label: s.label,
      data: s.data,
      backgroundColor: s.colour ?? DSFR_COLOURS[i % DSFR_COLOURS.length],
      borderColor: s.colour ?? DSFR_COLOURS[i % DSFR_COLOURS.length],
      borderWidth: props.kind === 'line' ? 2 : 0,
      spanGaps: true,
    }));
    if (props.threshold !== null && props.threshold !== undefined)
      datasets.push({
        type: 'line',
        label: 'Seuil',
        data: props.labels.map(() => props.threshold!),
        backgroundColor: DSFR_RED,
        borderColor: DSFR_RED,
        borderWidth: 2,
        spanGaps: true,
      });
    const chart = new Chart(canvas.current, {
      type: props.kind ?? 'bar',
      data: { labels: props.labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: 'bottom', labels: { color: '#161616' } } },
        scales: { x: { ticks: { color: '#3a3a3a' } }, y: { beginAtZero: true, ticks: { color: '#3a3a3a' } } },
        locale: 'fr-FR',
      },
    });
    return () => chart.destroy();
  }, [props.title, props.labels, props.series, props.kind, props.threshold]);
  return (
    <div className="ca-chart">
      <canvas
        ref={canvas}
        role="img"
        aria-label={`Graphique : ${props.title} (les valeurs sont dans le tableau qui suit)`}
      />
    </div>
  );
}
