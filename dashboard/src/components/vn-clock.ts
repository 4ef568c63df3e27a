/**
 * Dates and times as people in the commune type them: dd/mm/yyyy and 24-hour HH:MM, Vietnam time
 * whatever the phone's zone says. Asia/Ho_Chi_Minh keeps UTC+7 all year (no DST since 1975), so a
 * fixed offset is exact. Pure: the maintenance window form and its unit test share these.
 */
const VN_OFFSET_MS = 7 * 3_600_000;
const two = (n: number) => String(n).padStart(2, '0');

/** "HH:MM" (or "H:MM", "HHhMM") as minutes after midnight; null when it is not a 24-hour time. */
export function parseClock(text: string): number | null {
  const m = /^(\d{1,2})\s*[:hH.]\s*(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const hh = Number(m[1]);
  const mm = Number(m[2]);
  return hh < 24 && mm < 60 ? hh * 60 + mm : null;
}

/** Minutes after midnight as "HH:MM". */
export function clockText(minutes: number): string {
  return `${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

/** "dd/mm/yyyy" (also d/m/yyyy, with - or .) and "HH:MM" in Vietnam time as epoch ms; null if either is not real. */
export function parseVnDateTime(date: string, time: string): number | null {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(date.trim());
  const minutes = parseClock(time);
  if (!m || minutes === null) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const back = new Date(utc);
  // 31/02 rolls over to March in Date.UTC: refuse it rather than guess.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return utc + minutes * 60_000 - VN_OFFSET_MS;
}

/** The Vietnam date of `ts` as "dd/mm/yyyy". */
export function vnDateText(ts: number): string {
  const d = new Date(ts + VN_OFFSET_MS);
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** The Vietnam time of day of `ts` as "HH:MM". */
export function vnTimeText(ts: number): string {
  const d = new Date(ts + VN_OFFSET_MS);
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}
