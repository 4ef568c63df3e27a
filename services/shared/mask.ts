/**
 * What a log line or the reject log may show of a name someone typed that names no account or
 * device: its first two characters and its length (`ab…(12)`). People type passwords into the
 * user-name field, and an unknown name is exactly where such a slip lands; the masked form still
 * tells a technician "the installer typed something 12 long starting with ab". Names of known
 * accounts and devices are shown whole: they are not secrets, and the log is useless without them.
 */
export function maskName(name: string): string {
  const chars = [...name];
  // A short name would be all but given away by two characters and a length.
  const shown = chars.length > 4 ? chars.slice(0, 2).join('') : '';
  return `${shown}…(${chars.length})`;
}

/** The name itself when it names a known account or device, else its masked form. */
export function shownName(name: string, known: boolean): string {
  return known ? name : maskName(name);
}
