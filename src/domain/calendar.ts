// Calendar rules of the scheduled passes: local time in Europe/Paris, French public holidays and
// working days (« jour ouvrable » of seed 003 annex V §2.2: every day but Sunday and public holidays).

export const TIMEZONE = 'Europe/Paris';

const PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIMEZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** The local date (YYYY-MM-DD) and time (HH:MM) in Europe/Paris of an instant. */
export function parisTime(at: Date): { date: string; time: string } {
  const p = Object.fromEntries(PARTS.formatToParts(at).map((x) => [x.type, x.value]));
  return { date: `${p['year']}-${p['month']}-${p['day']}`, time: `${p['hour']}:${p['minute']}` };
}

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm), as YYYY-MM-DD. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function addDays(ymd: string, days: number): string {
  const t = Date.parse(`${ymd}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The eleven French public holidays (« jours fériés », Code du travail L3133-1) of a year. */
export function frenchPublicHolidays(year: number): string[] {
  const easter = easterSunday(year);
  const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map((md) => `${year}-${md}`);
  return [...fixed, addDays(easter, 1), addDays(easter, 39), addDays(easter, 50)].sort();
}

/** « Jour ouvrable »: Monday to Saturday, public holidays excepted. */
export function isWorkingDay(ymd: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ymd)) return false;
  const weekday = new Date(`${ymd}T12:00:00Z`).getUTCDay();
  if (weekday === 0) return false;
  return !frenchPublicHolidays(Number(ymd.slice(0, 4))).includes(ymd);
}

/**
 * The slot of a daily pass due at `time` (HH:MM, Paris): the local date once that time has passed
 * on that date (so a pass missed while every instance was down runs when one comes back), null
 * before it or on a day the pass skips.
 */
export function dailySlot(at: Date, time: string, onlyWorkingDays = false): string | null {
  if (!/^\d{2}:\d{2}$/.test(time)) return null; // « off »
  const local = parisTime(at);
  if (local.time < time) return null;
  if (onlyWorkingDays && !isWorkingDay(local.date)) return null;
  return local.date;
}

/** The slot of an hourly pass: the UTC hour, YYYY-MM-DDTHH. */
export function hourlySlot(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** The instant when it is `time` (HH:MM) on `date` (YYYY-MM-DD) in Paris (UTC+1 or UTC+2). */
export function parisInstant(date: string, time: string): Date {
  for (const offset of ['+01:00', '+02:00']) {
    const at = new Date(`${date}T${time}:00${offset}`);
    const local = parisTime(at);
    if (local.date === date && local.time === time) return at;
  }
  return new Date(`${date}T${time}:00+01:00`); // inside the hour skipped when clocks go forward
}
